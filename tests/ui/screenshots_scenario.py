"""Renders the app's main screens for the README, from the real window under
Xvfb with a tray host (scripts/screenshots.py starts those and runs this):

    python -m tests.ui.screenshots_scenario OUTDIR

A real server (with its media plane, so that rooms can be recorded) with a
few headless clients fills the rooms. The talking rings shown on the stage
are set by hand; only ira, in the recorded room, really speaks (a demo line,
so that the recording holds a voice). The settings dialog uses the
sound devices of the environment: scripts/screenshots.py provides virtual
ones, and a demo voice plays into the "headset" microphone for its meter.
Writes sign-in, directory, room-listener, room-moderator (a co-host),
room-host (recording), room-host-dark (the dark theme),
settings, recordings, tray-menu and room-listener-id (in Bahasa Indonesia)
PNGs; exits 0 when all were written.
"""

import asyncio
import copy
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from app.audio.prefs import DevicePreferences
from app.bot.audio import BotAudio
from app.client.app_settings import Settings
from app.client.audio_backend import PullAudio
from app.client.changes import SpeakingLevels
from app.client.connection import RequestFailed
from app.client.desktop_session import Change, DesktopSession
from app.client.device_audio import DeviceAudio
from app.client.recordings import suggested_file_name
from app.client.scheduling import from_local, schedule_room, set_reminder
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.media.wavfile import read_audio, write_wav
from app.protocol.errors import ErrorCode
from app.protocol.model import Action, Role
from app.protocol.requests import (
    AcceptInvite,
    InviteToStage,
    MakeCohost,
    PinLink,
    RaiseHand,
    React,
    SetRecording,
    SetTopic,
)
from app.server.app import ServerConfig, start_server
from app.ui.application import run_qt
from app.ui.design import apply_theme
from app.ui.i18n import install_translator
from app.ui.main_window import MainWindow
from app.ui.schedule_dialog import ScheduleDialog
from app.ui.settings_dialog import SettingsDialog
from app.ui.shell import DesktopShell
from tests.client import memory_keyring
from tests.client.desktop_support import until
from tests.support.pulse import play

PASSWORD = "correct horse battery"
SIZE = (900, 700)  # the window's default size
ROOT = Path(__file__).resolve().parents[2]
BANNER = "● This room is being recorded."
DEMO_VOICE = ROOT / "resources" / "demo" / "01-ayu-en.opus"


async def settle(seconds: float = 0.6) -> None:
    # The qasync loop runs Qt's events meanwhile (no processEvents() here: it
    # would run asyncio steps inside the current one).
    await asyncio.sleep(seconds)


def save(widget: QWidget, path: Path) -> None:
    assert widget.grab().save(str(path)), path
    print(f"wrote {path}", flush=True)


async def person(url: str, name: str) -> RoomClient:
    client = RoomClient(url, client_name="screenshots", reconnect=False)
    await client.connect()
    try:
        await client.register(name, PASSWORD)
    except RequestFailed as exc:
        # The one-room pictures (room_shot) run after the others on the same
        # server, whose people already have their accounts.
        if exc.code != ErrorCode.USERNAME_TAKEN:
            raise
        await client.login(name, PASSWORD)
    return client


async def scenario(out: Path) -> int:
    memory_keyring.install()
    # Start times are shown in the user's zone: a Jakarta user's here.
    os.environ.setdefault("TZ", "Asia/Jakarta")
    time.tzset()
    work = Path(tempfile.mkdtemp(prefix="panggung-shots-"))
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{work / 'db.sqlite'}", host="127.0.0.1", port=0, media=True)
    )
    url = server.url
    people: dict[str, RoomClient] = {}
    session = DesktopSession(url, TokenStore(), PullAudio(), Settings(), media=False)
    shell = DesktopShell(session, use_tray=True)
    window = shell.window
    try:
        for name in (
            "ayu",
            "budi",
            "citra",
            "dewi",
            "eko",
            "fajar",
            "hasan",
            "ira",
            "joko",
            "kartika",
            "lukas",
            "maya",
        ):
            people[name] = await person(url, name)
        # The directory: a few live rooms.
        town = await people["ayu"].create_room(
            "Kopi pagi: morning coffee chat", "Weekend plans and the new MRT line"
        )
        await people["budi"].create_room("Indie music from Bandung", "New releases, live")
        await people["hasan"].create_room("Python Jakarta meetup", "Async Python and Qt")
        for name in ("citra", "dewi", "eko", "fajar"):
            await people[name].join(town.room_id)
        await people["ayu"].request(PinLink(url="https://example.org/kopi-pagi/notes"))

        window.resize(*SIZE)
        shell.show()
        await settle()
        window.sign_in.username.setText("tika")
        save(window, out / "sign-in.png")

        # Scheduled rooms for the directory's Upcoming section (in this
        # computer's time zone: the script runs with TZ=Asia/Jakarta).
        tomorrow = datetime.now() + timedelta(days=1)
        evening = tomorrow.replace(hour=19, minute=30, second=0, microsecond=0)
        soon = await schedule_room(
            people["ayu"],
            "Kopi sore: evening chat",
            from_local(evening),
            topic="What changed this week",
            cohosts=["citra"],
        )
        await schedule_room(
            people["hasan"],
            "Python Jakarta: async Q&A",
            from_local(evening + timedelta(days=3)),
            speakers=["joko"],
        )
        for name in ("budi", "dewi"):
            await set_reminder(people[name], soon.schedule_id)

        assert await session.sign_in("tika", PASSWORD, register=True)
        await session.refresh_rooms()
        await until(lambda: window.directory.table.rowCount() == 3, what="rooms listed")
        await until(lambda: len(session.upcoming.rooms) == 2, what="upcoming listed")
        assert session.client is not None
        await set_reminder(session.client, soon.schedule_id)
        await session.refresh_rooms()
        window.directory.table.selectRow(0)
        window.directory.upcoming.table.selectRow(0)
        await settle()
        save(window, out / "directory.png")
        dialog = ScheduleDialog(window)
        dialog.title.setText("Kopi malam: late-night music")
        dialog.topic.setText("Bring a song from your town")
        dialog.cohosts.setText("budi")
        dialog.speakers.setText("maya, lukas")
        dialog.show()
        await settle()
        save(dialog, out / "schedule.png")
        dialog.close()

        # An earlier recording of tika's, for the recordings list.
        await record_briefly(session, "Sound check", 2.5)

        # A listener in someone else's room, with a hand up and reactions arriving.
        assert await session.join(town.room_id)
        ayu = people["ayu"]
        await ayu.request(InviteToStage(user_id=people["citra"].user_id))
        await people["citra"].request(AcceptInvite())
        await people["dewi"].request(RaiseHand())
        await until(lambda: len(window.room.stage.texts()) == 2, what="stage of two")
        await people["eko"].request(React(reaction="clap"))
        await people["fajar"].request(React(reaction="heart"))
        await until(lambda: "fajar" in window.room.reactions_shown.text(), what="reactions")
        talk(session, ayu.user_id)
        await settle()
        save(window, out / "room-listener.png")
        await speaker_volume_shot(window, out)
        # The same room as a co-host: the moderation panel under the stage.
        me = session.user_id
        await ayu.request(InviteToStage(user_id=me))
        await until(lambda: window.room.accept.isVisible(), what="invited")
        window.room.accept.click()
        await until(lambda: session.on_stage, what="on stage")
        await ayu.request(MakeCohost(user_id=me))
        await until(lambda: session.may(Action.APPROVE_HAND), what="co-host")
        await until(lambda: window.room.admin.queue.count() == 1, what="hand queue")
        talk(session, ayu.user_id)
        await settle()
        save(window, out / "room-moderator.png")
        await session.leave()

        # A moderator: tika's own room, with a co-host, a hand queue and an invite.
        assert await session.create_room("Panggung weekly", "What's new in the app")
        model = session.model
        assert model is not None
        # Recorded from the start: the banner shows in the moderator's shot.
        assert await session.act(SetRecording(on=True))
        await until(lambda: BANNER in window.room.banner.text(), what="recording banner")
        for name in ("ira", "joko", "kartika", "lukas", "maya"):
            await people[name].join(model.room_id)
        ira = people["ira"].user_id
        await session.act(InviteToStage(user_id=ira))
        await people["ira"].wait_until(lambda m: ira in m.members and m.members[ira].invited)
        await people["ira"].request(AcceptInvite())
        await session.act(MakeCohost(user_id=ira))
        # ira really speaks (a demo line), so the recording holds a voice.
        voice = BotAudio(people["ira"], keep=False)
        await voice.start()
        speaking = asyncio.ensure_future(voice.speak(DEMO_VOICE))
        await session.act(SetTopic(topic="What's new in the app: reactions and invites"))
        await session.act(PinLink(url="https://example.org/panggung/changelog"))
        for name in ("kartika", "joko"):
            await people[name].request(RaiseHand())
        await until(
            lambda: (
                window.room.admin.queue.count() == 2
                and any(m.role is Role.COHOST for m in model.stage())
            ),
            what="hand queue",
        )
        await window.room.copy_invite()
        await people["maya"].request(React(reaction="fire"))
        await until(lambda: "maya" in window.room.reactions_shown.text(), what="reaction")
        talk(session, ira)
        await settle()
        save(window, out / "room-host.png")
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_theme(app, "dark")
        await settle()
        talk(session, ira)  # again: the server's own levels may have replaced it
        await settle(0.1)
        save(window, out / "room-host-dark.png")
        apply_theme(app, "system")
        await speaking  # her whole line goes into the recording
        await voice.close()
        assert await session.act(SetRecording(on=False))
        await until(lambda: not model.recording, what="recording stopped")

        await settings_shot(window, session, out)
        await recordings_shot(shell, work, out)
        await tray_shot(shell, out)
        await indonesian_shot(url, town.room_id, out)
        # Here, not at the top: that module builds on this one's helpers.
        from tests.ui.floor_shot_scenario import floor_shot
        from tests.ui.stall_shot_scenario import stall_shot

        await floor_shot(url, out)
        await stall_shot(server, out)
        print("screenshots: ok", flush=True)
        return 0
    finally:
        await session.close()
        shell.close()
        for client in people.values():
            await client.close()
        await server.stop()


async def indonesian_shot(url: str, room_id: str, out: Path) -> None:
    """The same app in Bahasa Indonesia: a listener in the first room."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert install_translator(app, "id") == "id"
    session = DesktopSession(url, TokenStore(), PullAudio(), Settings(), media=False)
    shell = DesktopShell(session, use_tray=False)
    try:
        shell.window.resize(*SIZE)
        shell.show()
        assert await session.sign_in("sari", PASSWORD, register=True)
        assert await session.join(room_id)
        await until(lambda: shell.window.pages.currentWidget() is shell.window.room, what="in")
        await settle()
        save(shell.window, out / "room-listener-id.png")
    finally:
        await session.close()
        shell.close()
        install_translator(app, "en")


async def speaker_volume_shot(window: MainWindow, out: Path) -> None:
    """citra at 50 %, from the stage grid's context menu: the window and the
    dialog over it, as the screen shows them."""
    dialog = window.room.stage_volume.open_dialog("citra")
    dialog.slider.setValue(50)
    dialog.adjustSize()
    view = window.room.stage.people
    citra = view.model().index(1, 0)
    below = view.viewport().mapToGlobal(view.visualRect(citra).bottomLeft())
    dialog.move(below.x() + 24, below.y() + 24)
    await settle()
    area = window.frameGeometry()
    shot = window.screen().grabWindow(0, area.x(), area.y(), area.width(), area.height())
    assert shot.save(str(out / "room-speaker-volume.png"))
    print(f"wrote {out / 'room-speaker-volume.png'}", flush=True)
    dialog.slider.setValue(100)
    dialog.close()
    await settle(0.2)


def talk(session: DesktopSession, user_id: int) -> None:
    """Show `user_id` talking (the ring on the avatar); no audio flows here."""
    assert session.client is not None
    session.client.speaking = {user_id: 0.4}
    session.client.changes.publish(SpeakingLevels({user_id: 0.4}))
    session.speaking = {user_id: 0.4}
    for listener in list(session.listeners):
        listener(Change.SPEAKING, None)


async def record_briefly(session: DesktopSession, title: str, seconds: float) -> None:
    """A room of `session`'s own, recorded for `seconds` (silence), then left."""
    assert await session.create_room(title, "")
    assert await session.act(SetRecording(on=True))
    await asyncio.sleep(seconds)
    assert await session.act(SetRecording(on=False))
    await session.leave()


async def settings_shot(window: QWidget, session: DesktopSession, out: Path) -> None:
    """The dialog on the environment's devices, a headset chosen, a voice in it."""
    chosen = copy.deepcopy(session.settings)
    chosen.input_device, chosen.output_device = "headset", "headphones"
    audio = DeviceAudio(DevicePreferences(input="headset", output="headphones"))
    assert await audio.open(), "no sound devices (run this through scripts/screenshots.py)"
    player: subprocess.Popen[bytes] | None = None
    dialog = SettingsDialog(chosen, audio, window)
    try:
        await dialog.load_devices()
        assert {"headset", "headphones"} <= {
            *dialog.device_names("input"),
            *dialog.device_names("output"),
        }, "the virtual headset is missing"
        await audio.want_capture("settings", True)
        # The headset's microphone hears what plays into the "hsfeed" sink.
        player = play(demo_voice(), sink="hsfeed")
        dialog.show()
        await settle(1.5)
        save(dialog, out / "settings.png")
    finally:
        dialog.reject()
        if player is not None:
            player.terminate()
            player.wait(10)
        await audio.close()


def demo_voice() -> Path:
    """The demo room's first line as a WAV (paplay reads no Opus)."""
    wav = Path(tempfile.mkdtemp(prefix="panggung-voice-")) / "voice.wav"
    write_wav(wav, read_audio(DEMO_VOICE))
    return wav


async def recordings_shot(shell: DesktopShell, work: Path, out: Path) -> None:
    """My recordings, with the newest one just saved."""
    dialog = shell.window.open_recordings()
    await until(lambda: dialog.table.rowCount() == 2, what="recordings listed")
    await until(lambda: dialog.refresh_button.isEnabled(), what="list loaded")
    dialog.table.selectRow(0)
    newest = dialog.selected()
    assert newest is not None
    assert await dialog.save_to(work / suggested_file_name(newest))
    dialog.resize(720, 260)
    await settle(1.0)
    save(dialog, out / "recordings.png")
    dialog.reject()


async def tray_shot(shell: DesktopShell, out: Path) -> None:
    tray = shell.tray
    assert tray is not None, "no system tray on this display"
    screen = QGuiApplication.primaryScreen()
    icon = tray.icon.geometry()
    assert icon.isValid(), "the tray icon has no place on screen"
    menu = tray.menu
    menu.popup(QPoint(icon.left(), icon.bottom() + 2))
    await settle(1.0)
    area = menu.geometry().united(icon).adjusted(-24, -8, 24, 24)
    area = area.intersected(QRect(QPoint(0, 0), screen.size()))
    shot = screen.grabWindow(0, area.x(), area.y(), area.width(), area.height())
    assert shot.save(str(out / "tray-menu.png"))
    print(f"wrote {out / 'tray-menu.png'}", flush=True)
    menu.hide()


def main() -> int:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return run_qt(lambda app: scenario(out))


if __name__ == "__main__":
    sys.exit(main())
