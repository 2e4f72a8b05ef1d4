"""The room window against a real server: creating a room, a guest joining,
hands, the stage and audience panels, moderation, push-to-talk."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.model import Role
from app.protocol.requests import InviteToStage, RaiseHand
from app.server.app import RunningServer
from app.ui.create_room_dialog import CreateRoomDialog
from app.ui.shell import DesktopShell
from tests.client.desktop_support import ToneAudio, until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in

LEFT = Qt.MouseButton.LeftButton


def talking_on_server(server: RunningServer, room_id: str) -> set[int]:
    # Who the server treats as holding push-to-talk (the room core's state).
    return set(server.hub.talking(room_id))


async def create_room(shell: DesktopShell, title: str, topic: str) -> None:
    window = shell.window
    dialogs: list[CreateRoomDialog] = []

    def make() -> CreateRoomDialog:
        dialogs.append(CreateRoomDialog(window))
        return dialogs[-1]

    window.directory.make_dialog = make
    QTest.mouseClick(window.directory.create_button, LEFT)
    dialog = dialogs[0]
    dialog.title.setText(title)
    dialog.topic.setText(topic)
    dialog.accept()
    await until(lambda: window.pages.currentWidget() is window.room, what="room page")


def test_host_runs_a_room_with_a_guest(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url, ToneAudio())
        window, session = host.window, host.session
        sign_in(host, "hostess", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Town hall", "Roads and bridges")
        room = window.room
        assert "Town hall" in room.title.text() and room.topic.text() == "Roads and bridges"
        assert room.stage.texts() == ["hostess (you) · Host"]
        assert room.admin_area.isVisibleTo(window) and room.ptt.isVisibleTo(window)
        assert not room.hand.isVisibleTo(window)
        model = session.model
        assert model is not None

        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("guest", PASSWORD)
        try:
            await guest.join(model.room_id)
            await until(lambda: room.audience.texts() == ["guest"], what="audience shows guest")
            assert room.audience.title() == "Audience (1)"
            await guest.request(RaiseHand())
            await until(lambda: room.audience.texts() == ["guest · ✋ hand raised #1"], what="hand")
            assert room.admin.queue.item(0).text() == "1. guest"
            QTest.mouseClick(room.admin.approve, LEFT)
            await until(lambda: len(room.stage.texts()) == 2, what="guest on stage")
            assert room.stage.texts()[1] == "guest"
            # The count follows within its once-a-second summary.
            await until(lambda: room.audience.title() == "Audience (0)", what="count down")
            await until(lambda: room.audience.texts() == [], what="audience empty")
            assert guest.model is not None
            await guest.wait_until(lambda m: m.role_of(guest.user_id) is Role.SPEAKER)

            # Push-to-talk with the Space key while the window has the focus.
            await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
            window.activateWindow()
            await until(lambda: window.isActiveWindow(), what="window active")
            QTest.keyPress(window, Qt.Key.Key_Space)
            await until(lambda: session.ptt_acked, what="ptt acknowledged")
            assert talking_on_server(server, model.room_id) == {session.user_id}
            assert room.ptt.text().startswith("● LIVE")
            await until(lambda: guest.speaking.get(session.user_id, 0) > 0, 30, "guest hears")
            await until(lambda: "talking" in room.stage.texts()[0], 30, "talking indicator")
            QTest.keyRelease(window, Qt.Key.Key_Space)
            await until(lambda: not session.ptt_acked, what="ptt released")
            assert talking_on_server(server, model.room_id) == set()
            assert not room.ptt.text().startswith("● LIVE")

            # And with the big button.
            QTest.mousePress(room.ptt, LEFT)
            await until(lambda: talking_on_server(server, model.room_id) == {session.user_id})
            assert session.status()["sending"] is True
            QTest.mouseRelease(room.ptt, LEFT)
            await until(lambda: talking_on_server(server, model.room_id) == set())
            assert session.status()["sending"] is False

            # Moderation: mute the guest, lock the room, set the topic.
            room.admin.select_person(guest.user_id)
            QTest.mouseClick(room.admin.person_buttons["mute"], LEFT)
            await until(lambda: "muted by a moderator" in room.stage.texts()[1], what="muted")
            QTest.mouseClick(room.admin.locked, LEFT)
            await until(lambda: "locked" in room.banner.text(), what="locked banner")
            room.admin.topic.setText("Bridges only")
            QTest.mouseClick(room.admin.set_topic, LEFT)
            await until(lambda: room.topic.text() == "Bridges only", what="topic")
            # Removing asks first; a "no" does nothing.
            asked: list[str] = []

            def refuse(question: str) -> bool:
                asked.append(question)
                return False

            room.admin.confirm = refuse
            QTest.mouseClick(room.admin.person_buttons["remove"], LEFT)
            assert asked == ["Remove guest from the room?"]
            room.admin.confirm = lambda q: True
            QTest.mouseClick(room.admin.person_buttons["remove"], LEFT)
            await until(lambda: guest.kicked == "removed", what="guest removed")
            await until(lambda: len(room.stage.texts()) == 1, what="stage back to one")

            # Ending the room brings the host back to the directory.
            QTest.mouseClick(room.admin.end, LEFT)
            await until(lambda: window.pages.currentWidget() is window.directory, what="ended")
        finally:
            await guest.close()

    run(scenario())


def test_listener_window_has_no_admin_panel(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        try:
            created = await owner.create_room("Open mic", topic="Anything goes")
            listener = shells(server.url)
            window, session = listener.window, listener.session
            sign_in(listener, "lili", PASSWORD, register=True)
            await until(lambda: window.directory.table.rowCount() == 1, what="room listed")
            title, listeners = window.directory.table.item(0, 0), window.directory.table.item(0, 4)
            assert title is not None and title.text() == "Open mic"
            assert listeners is not None and listeners.text() == "0"
            window.directory.table.selectRow(0)
            QTest.mouseClick(window.directory.join, LEFT)
            await until(lambda: window.pages.currentWidget() is window.room, what="joined")
            room = window.room
            assert not room.admin_area.isVisibleTo(window)
            assert not room.ptt.isVisibleTo(window)
            assert room.hand.isVisibleTo(window) and room.hand.accessibleName() == "Raise hand"

            # Space does nothing useful for a listener, and says why.
            window.activateWindow()
            await until(lambda: window.isActiveWindow(), what="window active")
            QTest.keyPress(window, Qt.Key.Key_Space)
            QTest.keyRelease(window, Qt.Key.Key_Space)
            assert not session.ptt.live and "Only the stage talks" in window.message.text()

            QTest.mouseClick(room.hand, LEFT)
            await owner.wait_until(lambda m: [x.name for x in m.hand_queue()] == ["lili"])
            await until(lambda: room.hand.accessibleName() == "Lower hand", what="hand up")
            await owner.request(InviteToStage(user_id=session.user_id))
            await until(lambda: room.accept.isVisibleTo(window), what="invitation shown")
            assert "invited" in window.message.text()
            QTest.mouseClick(room.accept, LEFT)
            await until(lambda: room.ptt.isVisibleTo(window), what="on stage")
            assert not room.admin_area.isVisibleTo(window)  # a speaker is no moderator
            assert room.leave_stage.isVisibleTo(window)

            # Every control has an accessible name.
            for widget in window.findChildren(QAbstractButton) + window.findChildren(QLineEdit):
                if not widget.objectName().startswith("qt_"):  # Qt's own parts
                    assert widget.accessibleName(), widget

            QTest.mouseClick(room.leave, LEFT)
            await until(lambda: window.pages.currentWidget() is window.directory, what="left")
            await owner.wait_until(lambda m: session.user_id not in m.members)
            assert QApplication.instance() is not None
        finally:
            await owner.close()
        assert created.room_id

    run(scenario())
