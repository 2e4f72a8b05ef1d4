"""`panggung`: the desktop app, and the commands that drive a running one.

    panggung [--server URL] [--config DIR] [--offscreen]
    panggung [--config DIR] ptt press|release|toggle
    panggung [--config DIR] status | health | join LINK | show | quit

The composition root: builds the settings, token store, audio backend
(the sound devices, or silence with a message when none opens), session
(and, when hosting on this computer, an embedded server; the first run asks
which), the window and tray, the settings dialog, push-to-talk cues and
the global hotkey, and the control channel, then runs them on one qasync
loop. Qt is imported only when the window is wanted, so that the
commands start fast.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from app import __version__, json_log
from app.client.app_settings import Settings
from app.client.audio_backend import NO_DEVICES, AudioBackend, PullAudio
from app.client.control import ControlServer, control_address, send_command
from app.client.control_commands import ControlCommands
from app.client.desktop_session import DesktopSession
from app.client.ptt import PttSource
from app.client.secrets import TokenStore

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.client.device_audio import DeviceAudio
    from app.server.app import RunningServer
    from app.ui.application import LinkOpener

log = logging.getLogger("panggung")
COMMANDS = ("ptt", "status", "health", "join", "show", "quit")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="panggung",
        description="Live audio rooms on the desktop. Without a command, opens the app; "
        "with one, tells the running app what to do (for desktop shortcuts).",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="room server to use, e.g. ws://host:8765/ws (default: host on this computer)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="DIR", help="config directory (default: the user's)"
    )
    parser.add_argument("--offscreen", action="store_true", help="no visible window (tests)")
    parser.add_argument(
        "--no-sound", action="store_true", help="open no sound devices (listen and talk silently)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--json-logging", action="store_true", help="log to stderr as JSON lines (tests)"
    )
    parser.add_argument("--version", action="version", version=f"panggung {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check Qt, audio, WebRTC, Opus and the keyring without a screen, then exit",
    )
    sub = parser.add_subparsers(dest="command")
    ptt = sub.add_parser("ptt", help="push-to-talk in the running app")
    ptt.add_argument("action", choices=["press", "release", "toggle"])
    sub.add_parser("status", help="print the running app's state as JSON")
    sub.add_parser(
        "health", help="print the running app's state and its memory, tasks and threads as JSON"
    )
    join = sub.add_parser("join", help="join a room by link or id in the running app")
    join.add_argument("link")
    sub.add_parser("show", help="bring the window up")
    sub.add_parser("quit", help="leave the room and quit the app")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    json_log.configure(logging.INFO if args.verbose else logging.WARNING, args.json_logging)
    if args.self_test:
        from app.selftest import main as self_test

        return self_test()
    config_dir: Path = args.config or Path(platformdirs.user_config_dir("panggung"))
    if args.command:
        return run_command(args, config_dir)
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from app.ui.application import LinkOpener, run_qt

    data_dir = config_dir / "data" if args.config else Path(platformdirs.user_data_dir("panggung"))
    config_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    links = LinkOpener()
    return run_qt(lambda app: run_app(app, args, config_dir, data_dir, links), links)


def run_command(args: argparse.Namespace, config_dir: Path) -> int:
    command: dict[str, object] = {"cmd": args.command}
    if args.command == "ptt":
        command["action"] = args.action
    elif args.command == "join":
        command["link"] = args.link
    try:
        reply = send_command(control_address(config_dir), command)
    except (OSError, ValueError):  # ValueError: a stale port file, another program there
        print("panggung: the app is not running (start it with `panggung`)", file=sys.stderr)
        return 2
    print(json.dumps(reply))
    return 0 if reply.get("ok") else 1


async def run_app(
    app: "QApplication",
    args: argparse.Namespace,
    config_dir: Path,
    data_dir: Path,
    links: "LinkOpener | None" = None,
) -> int:
    from app.client.app_settings import ServerMode
    from app.client.hotkey import PttHotkey
    from app.client.server_choice import EMBEDDED, ServerChoice, resolve_server
    from app.selftest import startup_problems
    from app.ui.design import apply_theme
    from app.ui.first_run import ask_server
    from app.ui.i18n import install_translator
    from app.ui.settings_store import QtSettingsStore
    from app.ui.shell import DesktopShell
    from app.ui.sound import SettingsHook, attach_sound

    problems = startup_problems()
    if problems:
        for problem in problems:
            log.critical("%s", problem)
            print(f"panggung: {problem}", file=sys.stderr)
        return 1
    store = QtSettingsStore(config_dir)
    settings = store.load()
    install_translator(app, settings.language or None)  # else the system's, else English
    apply_theme(app, settings.theme)

    async def ask() -> ServerChoice | None:
        if args.offscreen:
            return EMBEDDED  # nobody to ask (tests): host, and remember nothing
        return await ask_server()

    def save_choice() -> None:
        if not args.offscreen:
            store.save(settings)

    choice = await resolve_server(args.server, settings, ask, save_choice)
    if choice is None:
        return 0  # the first-run question was closed
    server: RunningServer | None = None
    if choice.mode is ServerMode.EMBEDDED:
        server = await start_embedded_server(data_dir, settings.share_on_network)
        url = server.url
    else:
        url = choice.url
    audio, device_audio, audio_note = await open_audio(settings, args.no_sound)
    session = DesktopSession(
        url,
        TokenStore(),
        audio,
        settings,
        store,
        account_key="local" if server is not None else url,
    )
    shell = DesktopShell(session, use_tray=not args.offscreen)
    sound = attach_sound(shell.window, session, device_audio, audio_note)
    hotkey = PttHotkey(
        lambda: session.can_talk,
        lambda: session.ptt_press(PttSource.HOTKEY),
        lambda: session.ptt_release(PttSource.HOTKEY),
        asyncio.get_running_loop(),
        window_has_keys=shell.window.isActiveWindow,
    )
    hotkey.apply(settings)
    SettingsHook(shell.window, shell.controller, device_audio, hotkey)
    control = ControlServer(
        control_address(config_dir),
        ControlCommands(session, shell.show, shell.request_quit, join_later=shell.open_link),
    )
    try:
        await control.start()
    except RuntimeError as exc:
        print(f"panggung: {exc}", file=sys.stderr)
        shell.close()
        await session.close()
        await audio_close(device_audio)
        if server is not None:
            await server.stop()
        return 1
    if links is not None:
        links.set_handler(shell.open_link)  # macOS: panggung:// links as FileOpen events
    try:
        if not (settings.start_minimised and shell.tray is not None):
            shell.show()
        # The structured line scripts and end-to-end tests wait on (stdout, JSON).
        logging.getLogger(json_log.EVENTS).info(
            "ready", extra={"event": "ready", "server": url, "control": str(control.path)}
        )
        await session.resume_saved()
        await shell.quit_requested.wait()
    finally:
        if links is not None:
            links.set_handler(None)
        hotkey.stop()
        if sound is not None:
            sound.close()
        await control.close()
        await session.close()
        await audio_close(device_audio)
        shell.close()
        if server is not None:
            await server.stop()
    return 0


async def open_audio(
    settings: Settings, no_sound: bool = False
) -> "tuple[AudioBackend, DeviceAudio | None, str]":
    """The sound devices, or PullAudio and a sentence saying why there is no sound."""
    if no_sound:
        return PullAudio(), None, ""
    try:
        from app.audio.prefs import DevicePreferences
        from app.client.device_audio import DeviceAudio, processing_of
        from app.client.pulse_devices import route

        # A "pulse:" choice routes PortAudio's "pulse" device to it (pulse_devices.py).
        prefs = DevicePreferences(
            route("input", settings.input_device), route("output", settings.output_device)
        )
        device = DeviceAudio(
            prefs,
            volume=settings.output_volume,
            cues=settings.cues,
            processing=processing_of(settings),
        )
        device.note_routes(settings.input_device, settings.output_device)
    except Exception as exc:  # PortAudio missing altogether
        log.warning("no sound devices: %r", exc)
        return PullAudio(), None, NO_DEVICES
    if await device.open():
        return device, device, ""
    await device.close()
    return PullAudio(), None, NO_DEVICES


async def audio_close(device: "DeviceAudio | None") -> None:
    if device is not None:
        await device.close()


async def start_embedded_server(data_dir: Path, share: bool = False) -> "RunningServer":
    """Host on this computer (shared on the local network if asked): SQLite
    in the data dir, the demo room live (its bots talking)."""
    from app.server.demo import open_demo
    from app.server.embedded import start_embedded

    server = await start_embedded(data_dir, share=share)
    try:
        await open_demo(server)
    except Exception:
        await server.stop()
        raise
    return server


if __name__ == "__main__":
    sys.exit(main())
