"""The room window's controls follow what the server pushes (`allowed`), not a
copy of the permission table: each control is enabled exactly when its action
is in the pushed set, as the set changes with the member's role and mutes,
and when a push leaves an action out that the role alone would allow."""

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from app.client.app_state import Phase
from app.client.changes import ActionsAllowed
from app.client.session import RoomClient
from app.protocol.model import Action, Role
from app.protocol.requests import InviteToStage, MakeCohost, Mute
from app.server.app import RunningServer
from app.server.rooms import PERMISSIONS
from app.ui.room_view import RoomView
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in


def controls(room: RoomView) -> dict[QWidget, Action]:
    """Every control of the room window that asks for one action."""
    return {
        room.hand: Action.RAISE_HAND,
        room.accept: Action.ACCEPT_INVITE,
        room.decline: Action.DECLINE_INVITE,
        room.leave_stage: Action.LEAVE_STAGE,
        room.mute: Action.SELF_MUTE,
        room.latch: Action.PUSH_TO_TALK,
        room.invite: Action.ADD_INVITE,
        room.web: Action.ADD_INVITE,
        **{button: Action.REACT for button in room.reaction_buttons.values()},
        **room.admin.control_actions,
    }


def mismatches(room: RoomView, pushed: frozenset[Action]) -> list[str]:
    wrong = [
        f"{control.accessibleName() or type(control).__name__}: {action.value}"
        for control, action in controls(room).items()
        if control.isEnabled() != (action in pushed)
    ]
    # The talk button also goes grey while a mute holds (a press would not be
    # heard), so only this way round: never enabled unless pushed.
    if room.ptt.isEnabled() and Action.PUSH_TO_TALK not in pushed:
        wrong.append("the talk button: push_to_talk")
    return wrong


async def owner_of_a_room(url: str) -> tuple[RoomClient, str]:
    owner = RoomClient(url, client_name="test", reconnect=False)
    await owner.connect()
    await owner.register("owner", PASSWORD)
    return owner, (await owner.create_room("Pushed", topic="")).room_id


def test_controls_are_enabled_exactly_when_their_action_is_pushed(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        owner, room_id = await owner_of_a_room(server.url)
        member = shells(server.url)
        try:
            sign_in(member, "pia", PASSWORD, register=True)
            window, session = member.window, member.session
            await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
            assert await session.join(room_id)
            await until(lambda: window.pages.currentWidget() is window.room, what="joined")
            room = window.room
            model = session.model
            assert model is not None

            async def shows(pushed: frozenset[Action], what: str) -> None:
                await until(lambda: model.allowed == pushed, what=f"{what}: pushed")
                try:
                    await until(lambda: not mismatches(room, pushed), what=f"{what}: controls")
                except AssertionError:
                    raise AssertionError(f"{what}: {mismatches(room, pushed)}") from None

            await shows(PERMISSIONS[Role.LISTENER], "listener")
            assert not room.admin_area.isVisibleTo(window)
            await owner.request(InviteToStage(user_id=session.user_id))
            await until(lambda: room.accept.isVisibleTo(window), what="invited")
            room.accept.click()
            await shows(PERMISSIONS[Role.SPEAKER], "speaker")
            await owner.request(Mute(user_id=session.user_id))
            await shows(PERMISSIONS[Role.SPEAKER] - {Action.SELF_UNMUTE}, "muted")
            await owner.request(MakeCohost(user_id=session.user_id))
            await shows(PERMISSIONS[Role.COHOST] - {Action.SELF_UNMUTE}, "co-host")
            assert room.admin_area.isVisibleTo(window)
            assert not room.admin.end.isVisibleTo(window)  # the host's alone

            # A push is obeyed even where the role would allow more: the
            # window reads the pushed set, never the table.
            client = session.client
            assert client is not None
            fewer = model.allowed - {Action.MUTE_ALL, Action.PUSH_TO_TALK, Action.ADD_INVITE}
            model.allowed = fewer
            client.changes.publish(ActionsAllowed())
            await until(lambda: not mismatches(room, fewer), what="fewer: controls")
            assert not room.admin.mute_all.isEnabled() and not room.ptt.isEnabled()
            assert not room.invite.isVisibleTo(window)
        finally:
            await owner.close()

    run(scenario())
