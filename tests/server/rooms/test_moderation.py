"""Moderator mutes, removal, bans and co-hosts, with the rank rule."""

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.events import MemberJoined, MemberLeft, MemberUpdated
from app.protocol.model import Role
from app.protocol.requests import (
    Ban,
    MakeCohost,
    Mute,
    MuteAll,
    Remove,
    Unban,
    UnmakeCohost,
    Unmute,
)
from app.server.rooms import Join

from .helpers import HOST, add, new_room, refused, run


class TestMute:
    def test_mute_and_unmute(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER)
        [ev] = run(room, HOST, Mute(user_id=2))
        assert isinstance(ev, MemberUpdated) and (ev.cause, ev.by, ev.member.mod_muted) == (
            "muted",
            HOST,
            True,
        )
        assert run(room, HOST, Mute(user_id=2)) == []
        [ev] = run(room, HOST, Unmute(user_id=2))
        assert isinstance(ev, MemberUpdated) and (ev.cause, ev.member.mod_muted) == (
            "unmuted",
            False,
        )
        assert run(room, HOST, Unmute(user_id=2)) == []

    def test_unmute_lifts_only_the_moderators_mute(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER, mod_muted=True, self_muted=True)
        run(room, HOST, Unmute(user_id=2))
        assert room.members[2].self_muted

    def test_target_must_be_on_stage(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, mod_muted=True)
        refused(room, HOST, Mute(user_id=2), ErrorCode.INVALID_STATE)
        refused(room, HOST, Unmute(user_id=2), ErrorCode.INVALID_STATE)
        refused(room, HOST, Mute(user_id=9), ErrorCode.NO_SUCH_MEMBER)

    def test_rank_rule(self) -> None:
        room = new_room()
        add(room, 2, Role.COHOST)
        add(room, 3, Role.COHOST)
        refused(room, 2, Mute(user_id=HOST), ErrorCode.FORBIDDEN)
        refused(room, 2, Mute(user_id=3), ErrorCode.FORBIDDEN)
        refused(room, 2, Mute(user_id=2), ErrorCode.FORBIDDEN)
        refused(room, HOST, Mute(user_id=HOST), ErrorCode.FORBIDDEN)
        run(room, HOST, Mute(user_id=3))

    def test_mute_all_mutes_those_below_and_reports_changes(self) -> None:
        room = new_room()
        add(room, 2, Role.COHOST)
        add(room, 3, Role.COHOST)
        add(room, 4, Role.SPEAKER)
        add(room, 5, Role.SPEAKER, mod_muted=True)
        add(room, 6, Role.LISTENER)
        events = run(room, 2, MuteAll())
        assert [
            (e.member.user_id, e.cause, e.by) for e in events if isinstance(e, MemberUpdated)
        ] == [(4, "muted", 2)]
        assert len(events) == 1
        events = run(room, HOST, MuteAll())
        assert sorted(e.member.user_id for e in events if isinstance(e, MemberUpdated)) == [2, 3]
        assert not room.members[HOST].mod_muted and not room.members[6].mod_muted


class TestRemoveAndBan:
    def test_remove_then_rejoin(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER)
        assert run(room, HOST, Remove(user_id=2)) == [MemberLeft(user_id=2, reason="removed")]
        assert 2 not in room.members
        assert isinstance(run(room, 2, Join(None))[0], MemberJoined)

    @pytest.mark.parametrize("command", [Remove, Ban])
    def test_rank_rule(self, command: type[Remove] | type[Ban]) -> None:
        room = new_room()
        add(room, 2, Role.COHOST)
        add(room, 3, Role.COHOST)
        refused(room, 2, command(user_id=3), ErrorCode.FORBIDDEN)
        refused(room, 2, command(user_id=HOST), ErrorCode.FORBIDDEN)
        refused(room, 2, command(user_id=2), ErrorCode.FORBIDDEN)
        refused(room, HOST, command(user_id=HOST), ErrorCode.FORBIDDEN)

    def test_remove_unknown(self) -> None:
        room = new_room()
        refused(room, HOST, Remove(user_id=9), ErrorCode.NO_SUCH_MEMBER)

    def test_ban_member_keeps_them_out(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, connected=False, disconnected_at=1.0)
        assert run(room, HOST, Ban(user_id=2)) == [MemberLeft(user_id=2, reason="banned")]
        assert 2 in room.bans and 2 not in room.members
        refused(room, 2, Join(None), ErrorCode.BANNED)

    def test_ban_non_member_and_unban(self) -> None:
        room = new_room()
        assert run(room, HOST, Ban(user_id=7)) == []
        refused(room, 7, Join(None), ErrorCode.BANNED)
        assert run(room, HOST, Unban(user_id=7)) == []
        assert 7 not in room.bans
        assert run(room, HOST, Unban(user_id=7)) == []
        assert isinstance(run(room, 7, Join(None))[0], MemberJoined)


class TestCohosts:
    def test_make_and_unmake(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER)
        [ev] = run(room, HOST, MakeCohost(user_id=2), now=5.0)
        assert isinstance(ev, MemberUpdated) and (ev.cause, ev.by, ev.member.role) == (
            "made_cohost",
            HOST,
            Role.COHOST,
        )
        assert room.members[2].role_since == 5.0
        [ev] = run(room, HOST, UnmakeCohost(user_id=2), now=6.0)
        assert isinstance(ev, MemberUpdated) and (ev.cause, ev.member.role) == (
            "unmade_cohost",
            Role.SPEAKER,
        )

    @pytest.mark.parametrize("role", [Role.LISTENER, Role.COHOST])
    def test_make_needs_a_speaker(self, role: Role) -> None:
        room = new_room()
        add(room, 2, role)
        refused(room, HOST, MakeCohost(user_id=2), ErrorCode.INVALID_STATE)

    @pytest.mark.parametrize("role", [Role.LISTENER, Role.SPEAKER])
    def test_unmake_needs_a_cohost(self, role: Role) -> None:
        room = new_room()
        add(room, 2, role)
        refused(room, HOST, UnmakeCohost(user_id=2), ErrorCode.INVALID_STATE)

    def test_only_the_host(self) -> None:
        room = new_room()
        add(room, 2, Role.COHOST)
        add(room, 3, Role.SPEAKER)
        add(room, 4, Role.COHOST)
        refused(room, 2, MakeCohost(user_id=3), ErrorCode.FORBIDDEN)
        refused(room, 2, UnmakeCohost(user_id=4), ErrorCode.FORBIDDEN)
        refused(room, HOST, MakeCohost(user_id=HOST), ErrorCode.FORBIDDEN)
