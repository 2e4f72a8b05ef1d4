"""Hands, invitations to the stage, stepping up and down, self-muting."""

from collections.abc import Sequence

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent, MemberUpdated
from app.protocol.model import Role
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    DeclineInvite,
    DenyHand,
    InviteToStage,
    LeaveStage,
    LowerHand,
    MoveToAudience,
    RaiseHand,
    SelfMute,
)

from .helpers import HOST, add, new_room, refused, run


def updated(events: Sequence[AnyRoomEvent], cause: str, by: int | None = None) -> MemberUpdated:
    [event] = events
    assert isinstance(event, MemberUpdated)
    assert (event.cause, event.by) == (cause, by)
    return event


class TestHands:
    def test_listener_raises_and_lowers(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        ev = updated(run(room, 2, RaiseHand(), now=5.0), "hand_raised")
        assert ev.member.hand_raised_at == 5.0
        ev = updated(run(room, 2, LowerHand()), "hand_lowered")
        assert ev.member.hand_raised_at is None

    def test_raise_and_lower_are_idempotent(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        run(room, 2, RaiseHand(), now=5.0)
        assert run(room, 2, RaiseHand(), now=8.0) == []
        assert room.members[2].hand_raised_at == 5.0  # keeps its place in the queue
        run(room, 2, LowerHand())
        assert run(room, 2, LowerHand()) == []

    def test_hands_disabled(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        room.hands_enabled = False
        refused(room, 2, RaiseHand(), ErrorCode.HANDS_DISABLED)

    @pytest.mark.parametrize("role", [Role.SPEAKER, Role.COHOST, Role.HOST])
    def test_only_listeners_raise_hands(self, role: Role) -> None:
        room = new_room()
        uid = HOST if role is Role.HOST else 2
        if role is not Role.HOST:
            add(room, 2, role)
        refused(room, uid, RaiseHand(), ErrorCode.FORBIDDEN)

    def test_queue_is_ordered_by_raise_time(self) -> None:
        room = new_room()
        for uid in (2, 3, 4):
            add(room, uid, Role.LISTENER)
        run(room, 3, RaiseHand(), now=1.0)
        run(room, 2, RaiseHand(), now=2.0)
        run(room, 4, RaiseHand(), now=1.0)
        assert [m.user_id for m in room.hand_queue()] == [3, 4, 2]

    @pytest.mark.parametrize("moderator", [HOST, 5])
    def test_approve_brings_listener_on_stage(self, moderator: int) -> None:
        room = new_room()
        add(room, 5, Role.COHOST)
        add(room, 2, Role.LISTENER, hand_raised_at=1.0, invited=True)
        ev = updated(
            run(room, moderator, ApproveHand(user_id=2), now=9.0), "hand_approved", moderator
        )
        assert ev.member.role == Role.SPEAKER and ev.member.hand_raised_at is None
        m = room.members[2]
        assert (m.role, m.hand_raised_at, m.invited, m.role_since) == (
            Role.SPEAKER,
            None,
            False,
            9.0,
        )

    def test_approve_needs_a_raised_hand(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        refused(room, HOST, ApproveHand(user_id=2), ErrorCode.INVALID_STATE)
        refused(room, HOST, DenyHand(user_id=2), ErrorCode.INVALID_STATE)

    def test_approve_on_full_stage(self) -> None:
        room = new_room(capacity=2)
        add(room, 3, Role.SPEAKER)
        add(room, 2, Role.LISTENER, hand_raised_at=1.0)
        refused(room, HOST, ApproveHand(user_id=2), ErrorCode.STAGE_FULL)

    def test_approve_unknown_member(self) -> None:
        room = new_room()
        refused(room, HOST, ApproveHand(user_id=42), ErrorCode.NO_SUCH_MEMBER)

    def test_deny_clears_the_hand(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, hand_raised_at=1.0)
        ev = updated(run(room, HOST, DenyHand(user_id=2)), "hand_denied", HOST)
        assert ev.member.hand_raised_at is None and ev.member.role == Role.LISTENER


class TestInvites:
    def test_invite_then_accept(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, hand_raised_at=1.0)
        ev = updated(run(room, HOST, InviteToStage(user_id=2)), "invited", HOST)
        assert ev.member.invited
        ev = updated(run(room, 2, AcceptInvite(), now=4.0), "invite_accepted")
        assert ev.member.role == Role.SPEAKER
        assert not ev.member.invited and ev.member.hand_raised_at is None

    def test_invite_a_member_in_grace(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, connected=False, disconnected_at=3.0)
        updated(run(room, HOST, InviteToStage(user_id=2)), "invited", HOST)

    def test_invite_needs_an_uninvited_listener(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, invited=True)
        add(room, 3, Role.SPEAKER)
        refused(room, HOST, InviteToStage(user_id=2), ErrorCode.INVALID_STATE)
        refused(room, HOST, InviteToStage(user_id=3), ErrorCode.INVALID_STATE)
        refused(room, HOST, InviteToStage(user_id=9), ErrorCode.NO_SUCH_MEMBER)

    def test_accept_on_full_stage_keeps_the_invite(self) -> None:
        room = new_room(capacity=1)
        add(room, 2, Role.LISTENER, invited=True)
        refused(room, 2, AcceptInvite(), ErrorCode.STAGE_FULL)
        assert room.members[2].invited

    def test_accept_and_decline_need_an_invite(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        refused(room, 2, AcceptInvite(), ErrorCode.NOT_INVITED)
        refused(room, 2, DeclineInvite(), ErrorCode.NOT_INVITED)

    def test_decline(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, invited=True)
        ev = updated(run(room, 2, DeclineInvite()), "invite_declined")
        assert not ev.member.invited and ev.member.role == Role.LISTENER


class TestStageMoves:
    @pytest.mark.parametrize("role", [Role.SPEAKER, Role.COHOST])
    def test_host_moves_stage_member_to_audience(self, role: Role) -> None:
        room = new_room()
        add(room, 2, role, mod_muted=True)
        ev = updated(run(room, HOST, MoveToAudience(user_id=2), now=3.0), "moved_to_audience", HOST)
        assert ev.member.role == Role.LISTENER
        assert room.members[2].mod_muted  # the mute outlives the stage

    def test_cohost_moves_speaker_but_not_cohost_or_host(self) -> None:
        room = new_room()
        add(room, 2, Role.COHOST)
        add(room, 3, Role.COHOST)
        add(room, 4, Role.SPEAKER)
        refused(room, 2, MoveToAudience(user_id=3), ErrorCode.FORBIDDEN)
        refused(room, 2, MoveToAudience(user_id=HOST), ErrorCode.FORBIDDEN)
        refused(room, 2, MoveToAudience(user_id=2), ErrorCode.FORBIDDEN)
        updated(run(room, 2, MoveToAudience(user_id=4)), "moved_to_audience", 2)

    def test_move_needs_a_stage_member(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        refused(room, HOST, MoveToAudience(user_id=2), ErrorCode.INVALID_STATE)

    @pytest.mark.parametrize("role", [Role.SPEAKER, Role.COHOST])
    def test_leave_stage(self, role: Role) -> None:
        room = new_room()
        add(room, 2, role, mod_muted=True, self_muted=True)
        ev = updated(run(room, 2, LeaveStage(), now=6.0), "left_stage")
        assert ev.member.role == Role.LISTENER and ev.member.mod_muted
        assert room.members[2].role_since == 6.0

    def test_host_and_listener_cannot_leave_stage(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        refused(room, HOST, LeaveStage(), ErrorCode.FORBIDDEN)
        refused(room, 2, LeaveStage(), ErrorCode.FORBIDDEN)

    def test_mod_mute_survives_leaving_and_returning(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER, mod_muted=True)
        run(room, 2, LeaveStage())
        run(room, 2, RaiseHand())
        run(room, HOST, ApproveHand(user_id=2))
        assert room.members[2].role is Role.SPEAKER and room.members[2].mod_muted
        refused(room, 2, SelfMute(muted=False), ErrorCode.FORBIDDEN)


class TestSelfMute:
    def test_mute_and_unmute(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER)
        assert updated(run(room, 2, SelfMute(muted=True)), "self_muted").member.self_muted
        assert run(room, 2, SelfMute(muted=True)) == []
        ev = updated(run(room, 2, SelfMute(muted=False)), "self_unmuted")
        assert not ev.member.self_muted

    def test_listener_cannot(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        refused(room, 2, SelfMute(muted=True), ErrorCode.FORBIDDEN)

    def test_cannot_unmute_over_a_moderator(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER, mod_muted=True, self_muted=True)
        err = refused(room, 2, SelfMute(muted=False), ErrorCode.FORBIDDEN)
        assert err.message == "muted by a moderator"
        # Muting oneself further is still fine.
        add(room, 3, Role.SPEAKER, mod_muted=True)
        updated(run(room, 3, SelfMute(muted=True)), "self_muted")
