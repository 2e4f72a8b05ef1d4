"""`panggung`: the desktop app, and the commands that drive a running one.

    panggung [--server URL] [--config DIR] [--offscreen]
    panggung [--config DIR] ptt press|release|toggle
    panggung [--config DIR] status | join LINK | show | quit

The composition root: builds the settings, token store, audio backend,
session (and, without --server, an embedded server hosting on this
computer), the window and tray, and the control socket, then runs them on
one qasync loop. Qt is imported only when the window is wanted, so that the
commands start fast.
"""

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from app.client.audio_backend import PullAudio
from app.client.control import ControlServer, send_command, socket_path
from app.client.control_commands import ControlCommands
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from app.client.settings import Settings

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.server.app import RunningServer

log = logging.getLogger("panggung")
COMMANDS = ("ptt", "status", "join", "show", "quit")


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
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command")
    ptt = sub.add_parser("ptt", help="push-to-talk in the running app")
    ptt.add_argument("action", choices=["press", "release", "toggle"])
    sub.add_parser("status", help="print the running app's state as JSON")
    join = sub.add_parser("join", help="join a room by link or id in the running app")
    join.add_argument("link")
    sub.add_parser("show", help="bring the window up")
    sub.add_parser("quit", help="leave the room and quit the app")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config_dir: Path = args.config or Path(platformdirs.user_config_dir("panggung"))
    if args.command:
        return run_command(args, config_dir)
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from app.ui.application import run_qt

    data_dir = config_dir / "data" if args.config else Path(platformdirs.user_data_dir("panggung"))
    config_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    return run_qt(lambda app: run_app(app, args, config_dir, data_dir))


def run_command(args: argparse.Namespace, config_dir: Path) -> int:
    command: dict[str, object] = {"cmd": args.command}
    if args.command == "ptt":
        command["action"] = args.action
    elif args.command == "join":
        command["link"] = args.link
    try:
        reply = send_command(socket_path(config_dir), command)
    except OSError:
        print("panggung: the app is not running (start it with `panggung`)", file=sys.stderr)
        return 2
    print(json.dumps(reply))
    return 0 if reply.get("ok") else 1


async def run_app(
    app: "QApplication", args: argparse.Namespace, config_dir: Path, data_dir: Path
) -> int:
    from app.ui.shell import DesktopShell

    server: RunningServer | None = None
    url = args.server
    if url is None:
        server = await start_embedded_server(data_dir)
        url = server.url
    settings_path = config_dir / "settings.json"
    session = DesktopSession(
        url,
        TokenStore(),
        PullAudio(),  # the sound-device backend (app/audio) plugs in here
        Settings.load(settings_path),
        settings_path=settings_path,
        account_key="local" if server is not None else url,
    )
    shell = DesktopShell(session, use_tray=not args.offscreen)
    control = ControlServer(
        socket_path(config_dir), ControlCommands(session, shell.show, shell.request_quit)
    )
    try:
        await control.start()
    except RuntimeError as exc:
        print(f"panggung: {exc}", file=sys.stderr)
        shell.close()
        await session.close()
        if server is not None:
            await server.stop()
        return 1
    try:
        shell.show()
        # One structured line for scripts and end-to-end tests.
        print(json.dumps({"event": "ready", "server": url, "control": str(control.path)}))
        sys.stdout.flush()
        await session.resume_saved()
        await shell.quit_requested.wait()
    finally:
        await control.close()
        await session.close()
        shell.close()
        if server is not None:
            await server.stop()
    return 0


async def start_embedded_server(data_dir: Path) -> "RunningServer":
    """Host on this computer: SQLite in the data dir, the demo room live."""
    from app.server.app import ServerConfig, start_server
    from app.server.demo import ensure_demo_room

    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{data_dir / 'rooms.db'}", host="127.0.0.1", port=0)
    )
    try:
        await ensure_demo_room(server.store, server.accounts, server.hub)
    except Exception:
        await server.stop()
        raise
    return server


if __name__ == "__main__":
    sys.exit(main())
