"""Recording in the window: the moderator's toggle and the "being recorded" banner,
against a real server with its media plane."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.requests import SetRecording
from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.support.disks import fill, ram_disks
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in

LEFT = Qt.MouseButton.LeftButton
BANNER = "● This room is being recorded."


def test_moderator_toggles_recording_and_the_banner_follows(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url)
        window, session = host.window, host.session
        sign_in(host, "rina", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Podcast", "")
        room, admin = window.room, window.room.admin
        assert not room.banner.isVisibleTo(window)
        assert admin.record.isVisibleTo(window) and admin.record.text() == "Start re&cording"
        questions: list[str] = []

        def decline(question: str) -> bool:
            questions.append(question)
            return False

        admin.confirm = decline
        QTest.mouseClick(admin.record, LEFT)
        assert questions and "being recorded" in questions[0]
        assert session.model is not None and not session.model.recording

        admin.confirm = lambda _question: True
        QTest.mouseClick(admin.record, LEFT)
        await until(lambda: BANNER in room.banner.text(), what="recording banner")
        assert room.banner.isVisibleTo(window)
        assert admin.record.text() == "Stop re&cording"
        assert admin.record.accessibleName() == "Stop recording"

        questions.clear()
        admin.confirm = decline  # stopping asks nothing
        QTest.mouseClick(admin.record, LEFT)
        await until(lambda: not room.banner.isVisibleTo(window), what="banner gone")
        assert questions == [] and admin.record.text() == "Start re&cording"

    run(scenario())


def test_a_listener_sees_the_banner_but_no_toggle(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        try:
            created = await owner.create_room("On air")
            await owner.request(SetRecording(on=True))
            listener = shells(server.url)
            window, session = listener.window, listener.session
            sign_in(listener, "lili", PASSWORD, register=True)
            await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
            assert await session.join(created.room_id)
            room = window.room
            await until(lambda: window.pages.currentWidget() is room, what="joined")
            # Already recording when they came in: the snapshot says so.
            await until(lambda: BANNER in room.banner.text(), what="banner from the snapshot")
            assert not room.admin.record.isVisibleTo(window)
            await owner.request(SetRecording(on=False))
            await until(lambda: not room.banner.isVisibleTo(window), what="banner gone")
        finally:
            await owner.close()

    run(scenario())


def test_moderators_see_why_a_recording_stopped(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        host = shells(server.url)
        window, session = host.window, host.session
        sign_in(host, "rina", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Full disk", "")
        assert session.model is not None
        room, admin = window.room, window.room.admin
        admin.confirm = lambda _question: True
        # A disk with no room: the start is refused, and the window says why.
        directory = tmp_path / "recordings"
        directory.mkdir()
        os.symlink("/dev/full", directory / f"1-{session.model.room_id}.ogg")
        QTest.mouseClick(admin.record, LEFT)
        await until(lambda: "No space left on device" in window.message.text(), what="refusal")
        assert BANNER not in room.banner.text()
        assert admin.record.text() == "Start re&cording"
        # A disk that fills up while recording: the banner says why it stopped.
        with ram_disks(tmp_path) as mount:
            disk = mount("4m")
            server.hub.recordings.directory = disk
            server.hub.recordings.min_free_bytes = 1024 * 1024
            QTest.mouseClick(admin.record, LEFT)
            await until(lambda: BANNER in room.banner.text(), what="recording banner")
            fill(disk)
            stopped = "⚠ Recording stopped: No space left on device"
            await until(lambda: stopped in room.banner.text(), what="failure banner")
            assert BANNER not in room.banner.text()
            assert admin.record.text() == "Start re&cording"

    run(scenario())
