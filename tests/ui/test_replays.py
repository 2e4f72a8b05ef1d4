"""Replays in the real window, against a real server: the host ends a
recorded room choosing a public replay, another user finds it in the
directory's Replays section, plays it, and the position slider seeks where
asked; the host makes it private and deletes it from the same section."""

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.protocol.requests import SetRecording
from app.server.app import RunningServer
from app.ui.end_room_dialog import EndRoomDialog
from app.ui.replay_player import TICKS_PER_SECOND
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_recordings_dialog import server_files, signed_in
from tests.ui.test_room import create_room

LEFT = Qt.MouseButton.LeftButton
RECORD_SECONDS = 4.0
# Set to a folder to save the README's screenshot of the player (under Xvfb).
SCREENSHOTS = os.environ.get("PANGGUNG_REPLAY_SCREENSHOTS")


async def end_recorded_room_as_public(host: DesktopShell) -> None:
    session = host.session
    await create_room(host, "Kopi pagi: episode 7", "")
    assert await session.act(SetRecording(on=True))
    await until(lambda: session.model is not None and session.model.recording, what="recording")
    await asyncio.sleep(RECORD_SECONDS)
    admin = host.window.room.admin
    dialogs: list[EndRoomDialog] = []

    def make(invite_only: bool) -> EndRoomDialog:
        dialogs.append(EndRoomDialog(invite_only, admin))
        return dialogs[-1]

    admin.make_end_dialog = make
    QTest.mouseClick(admin.end, LEFT)
    (dialog,) = dialogs
    assert dialog.private.isChecked()  # the default: moderators only
    dialog.public.setChecked(True)
    assert dialog.choice() == "public"
    dialog.accept()
    await until(lambda: session.phase is Phase.DIRECTORY, what="back in the directory")


def test_a_public_replay_plays_and_seeks_in_the_window(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        await signed_in(host, "rina")
        await end_recorded_room_as_public(host)
        listener = shells(server.url, name="listener")
        await signed_in(listener, "budi")
        panel = listener.window.directory.replays
        await listener.session.refresh_rooms()
        await until(lambda: panel.table.rowCount() == 1, what="the replay listed")
        title = panel.table.item(0, 0)
        who = panel.table.item(0, 3)
        assert title is not None and title.text() == "Kopi pagi: episode 7"
        assert who is not None and who.text() == "The room's audience"
        panel.table.selectRow(0)
        assert panel.play.isEnabled()
        assert not panel.share.isEnabled() and not panel.delete.isEnabled()  # not the host's
        QTest.mouseClick(panel.play, LEFT)
        await until(lambda: panel.player_window is not None, what="the player opened")
        window = panel.player_window
        assert window is not None and window.isVisible()
        player = window.player
        assert player is not None
        await until(lambda: player.position > 0.2, what="playing")
        if SCREENSHOTS:
            player.seek(1.4)
            await until(lambda: player.position > 1.6, what="playing on")
            await asyncio.sleep(0.3)
            out = Path(SCREENSHOTS)
            window.resize(520, window.sizeHint().height())
            assert listener.window.grab().save(str(out / "replays-directory.png"))
            assert window.grab().save(str(out / "replay-player.png"))

        # The slider: let go at 2.5 s, and playback goes on from there.
        window.slider.setSliderDown(True)
        window.slider.setValue(round(2.5 * TICKS_PER_SECOND))
        window.slider.setSliderDown(False)  # emits sliderReleased
        assert 2.5 <= player.position < 2.6
        await until(lambda: player.position > 2.7, what="playing after the seek")
        assert player.position < 2.5 + 2.0
        await until(lambda: abs(window.slider.value() / TICKS_PER_SECOND - player.position) < 0.5)
        assert window.time.text().startswith("0:02 / 0:0")
        # Pause stands still; Play goes on.
        QTest.mouseClick(window.play, LEFT)
        assert player.paused and window.play.text() == "&Play"
        stood = player.position
        await asyncio.sleep(0.3)
        assert player.position == stood
        QTest.mouseClick(window.play, LEFT)
        await until(lambda: player.position > stood + 0.1, what="playing again")
        assert not window.problem.isVisibleTo(window)
        # The file gone from the server mid-replay: the next seek says so in the window.
        (kept,) = server_files(tmp_path / "recordings")
        kept.rename(kept.with_suffix(".away"))
        window.seek(1 * TICKS_PER_SECOND)
        await until(lambda: window.problem.isVisibleTo(window), what="the problem shown")
        assert window.problem.text().startswith("Cannot play the replay:")
        kept.with_suffix(".away").rename(kept)
        window.close()
        await until(lambda: listener.session.replays.player is None, what="stopped")

        # The host makes it private (gone from the listener's list), then deletes it.
        host_panel = host.window.directory.replays
        await host.session.refresh_rooms()
        await until(lambda: host_panel.table.rowCount() == 1, what="the host's list")
        host_panel.table.selectRow(0)
        assert host_panel.share.isEnabled() and host_panel.share.text() == "Make pri&vate"
        QTest.mouseClick(host_panel.share, LEFT)
        await until(lambda: host_panel.share.text() == "Make p&ublic", what="private")
        await listener.session.refresh_rooms()
        await until(lambda: panel.table.rowCount() == 0, what="gone for the listener")
        assert panel.empty.isVisibleTo(panel)
        host_panel.confirm = lambda _question: True
        QTest.mouseClick(host_panel.delete, LEFT)
        await until(lambda: host_panel.table.rowCount() == 0, what="deleted")
        assert server_files(tmp_path / "recordings") == []

    run(scenario())
