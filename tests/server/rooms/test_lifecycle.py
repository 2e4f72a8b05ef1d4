"""Creating, joining, dropping, leaving, ending, and the grace-period clock."""

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.events import (
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    Reacted,
    RoomEnded,
    RoomUpdated,
)
from app.protocol.model import Role
from app.protocol.requests import EndRoom, LeaveRoom, RaiseHand, React
from app.server.rooms import Disconnect, Join, RoomCommand, RoomError, create_room, tick

from .helpers import HOST, actor, add, new_room, refused, run


class TestCreate:
    def test_creator_is_connected_host_on_stage(self) -> None:
        room = create_room("r", actor(7), "  Talk  ", " t ", True, 3, 5.0, grace_period=30.0)
        host = room.members[7]
        assert (room.host_id, host.role, host.connected, host.joined_at) == (
            7,
            Role.HOST,
            True,
            5.0,
        )
        assert (room.title, room.topic, room.invite_only, room.stage_capacity) == (
            "Talk",
            "t",
            True,
            3,
        )
        assert (room.status, room.seq, room.grace_period, room.created_at) == ("live", 0, 30.0, 5.0)
        assert room.hands_enabled and not room.locked and room.pinned_link is None

    @pytest.mark.parametrize(
        ("title", "topic", "capacity"),
        [
            ("", "", 5),
            ("   ", "", 5),
            ("x" * 101, "", 5),
            ("t", "x" * 281, 5),
            ("t", "", 0),
            ("t", "", 51),
        ],
    )
    def test_invalid_settings_are_refused(self, title: str, topic: str, capacity: int) -> None:
        with pytest.raises(RoomError) as info:
            create_room("r", actor(1), title, topic, False, capacity, 0.0)
        assert info.value.code == ErrorCode.INVALID

    def test_limits_are_inclusive(self) -> None:
        room = create_room("r", actor(1), "x" * 100, "y" * 280, False, 50, 0.0)
        assert room.stage_capacity == 50
        assert create_room("r", actor(1), "t", "", False, 1, 0.0).stage_capacity == 1


class TestJoin:
    def test_newcomer_joins_as_connected_listener(self) -> None:
        room = new_room()
        [event] = run(room, 2, Join(None), now=3.0)
        assert isinstance(event, MemberJoined)
        assert event.member.role == Role.LISTENER and event.member.joined_at == 3.0
        assert room.members[2].role is Role.LISTENER and room.members[2].connected

    def test_ended_room(self) -> None:
        room = new_room()
        run(room, HOST, EndRoom())
        refused(room, 2, Join(None), ErrorCode.ROOM_ENDED)

    def test_banned_user_is_refused_even_with_invite(self) -> None:
        room = new_room(invite_only=True)
        room.bans.add(2)
        room.invites.add("code")
        refused(room, 2, Join("code"), ErrorCode.BANNED)

    def test_locked_room_refuses_newcomers(self) -> None:
        room = new_room()
        room.locked = True
        refused(room, 2, Join(None), ErrorCode.ROOM_LOCKED)

    @pytest.mark.parametrize("code", [None, "wrong"])
    def test_invite_only_needs_a_stored_code(self, code: str | None) -> None:
        room = new_room(invite_only=True)
        room.invites.add("right")
        refused(room, 2, Join(code), ErrorCode.INVITE_REQUIRED)
        assert isinstance(run(room, 2, Join("right"))[0], MemberJoined)

    def test_code_is_ignored_in_an_open_room(self) -> None:
        room = new_room()
        assert isinstance(run(room, 2, Join("whatever"))[0], MemberJoined)

    def test_connected_member_joining_again_changes_nothing(self) -> None:
        room = new_room()
        run(room, 2, Join(None))
        assert run(room, 2, Join(None)) == []

    def test_member_in_grace_reconnects_despite_lock(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER, connected=False, disconnected_at=5.0, mod_muted=True)
        room.locked = True
        [event] = run(room, 2, Join(None), now=9.0)
        assert isinstance(event, MemberUpdated) and event.cause == "reconnected"
        m = room.members[2]
        assert m.connected and m.disconnected_at is None
        assert m.role is Role.SPEAKER and m.mod_muted  # the place is kept as it was


class TestDisconnect:
    def test_keeps_everything_but_the_connection(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER, hand_raised_at=1.0, invited=True)
        [event] = run(room, 2, Disconnect(), now=4.0)
        assert isinstance(event, MemberUpdated) and event.cause == "disconnected"
        assert event.member.connected is False and event.member.hand_raised_at == 1.0
        m = room.members[2]
        assert (m.connected, m.disconnected_at, m.invited, m.role) == (
            False,
            4.0,
            True,
            Role.LISTENER,
        )

    def test_twice_is_a_no_op(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        run(room, 2, Disconnect(), now=4.0)
        assert run(room, 2, Disconnect(), now=6.0) == []
        assert room.members[2].disconnected_at == 4.0


class TestTick:
    def test_member_leaves_when_grace_period_is_over(self) -> None:
        room = new_room(grace=60.0)
        add(room, 2, Role.SPEAKER, connected=False, disconnected_at=10.0)
        assert not tick(room, 69.9)
        [(seq, event)] = tick(room, 70.0).events
        assert seq == 1 and event == MemberLeft(user_id=2, reason="timed_out")
        assert 2 not in room.members

    def test_reconnected_member_is_not_expired(self) -> None:
        room = new_room(grace=60.0)
        run(room, 2, Join(None), now=0.0)
        run(room, 2, Disconnect(), now=10.0)
        run(room, 2, Join(None), now=20.0)
        assert not tick(room, 1000.0)

    def test_host_timing_out_passes_to_longest_serving_connected_cohost(self) -> None:
        room = new_room(grace=60.0)
        room.members[HOST].connected = False
        room.members[HOST].disconnected_at = 0.0
        room.reindex(HOST)
        add(room, 2, Role.COHOST, role_since=1.0, connected=False, disconnected_at=50.0)
        add(room, 3, Role.COHOST, role_since=5.0, mod_muted=True)
        add(room, 4, Role.COHOST, role_since=3.0)
        events = [e for _, e in tick(room, 60.0).events]
        assert events[0] == MemberLeft(user_id=HOST, reason="timed_out")
        assert isinstance(events[1], MemberUpdated) and events[1].cause == "became_host"
        assert events[1].member.user_id == 4
        assert isinstance(events[2], RoomUpdated) and events[2].host_id == 4
        assert room.host_id == 4 and room.members[4].role is Role.HOST
        assert room.members[4].role_since == 60.0

    def test_disconnected_cohost_inherits_when_none_is_connected(self) -> None:
        room = new_room(grace=60.0)
        room.members[HOST].connected = False
        room.members[HOST].disconnected_at = 0.0
        room.reindex(HOST)
        add(room, 2, Role.COHOST, role_since=4.0, connected=False, disconnected_at=30.0)
        add(room, 3, Role.COHOST, role_since=2.0, connected=False, disconnected_at=30.0)
        tick(room, 60.0)
        assert room.host_id == 3 and room.members[3].role is Role.HOST

    def test_new_host_loses_a_moderators_mute_nobody_could_lift(self) -> None:
        room = new_room(grace=60.0)
        room.members[HOST].connected = False
        room.members[HOST].disconnected_at = 0.0
        room.reindex(HOST)
        add(room, 2, Role.COHOST, mod_muted=True)
        tick(room, 60.0)
        assert room.members[2].role is Role.HOST and not room.members[2].mod_muted

    def test_room_ends_when_host_times_out_without_cohost(self) -> None:
        room = new_room(grace=60.0)
        add(room, 2, Role.SPEAKER)
        run(room, HOST, Disconnect(), now=0.0)
        events = [e for _, e in tick(room, 60.0).events]
        assert events == [
            MemberLeft(user_id=HOST, reason="timed_out"),
            RoomEnded(reason="no_moderator"),
        ]
        assert (room.status, room.ended_at) == ("ended", 60.0)

    def test_cohost_expiring_in_the_same_tick_does_not_inherit(self) -> None:
        room = new_room(grace=60.0)
        room.members[HOST].connected = False
        room.members[HOST].disconnected_at = 0.0
        room.reindex(HOST)
        add(room, 2, Role.COHOST, role_since=0.0, connected=False, disconnected_at=0.0)
        add(room, 3, Role.COHOST, role_since=9.0)
        tick(room, 60.0)
        assert room.host_id == 3 and 2 not in room.members

    def test_ended_room_does_not_tick(self) -> None:
        room = new_room(grace=60.0)
        add(room, 2, Role.LISTENER, connected=False, disconnected_at=0.0)
        run(room, HOST, EndRoom())
        assert not tick(room, 1000.0)


class TestLeaveAndEnd:
    def test_member_leaves_quietly(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER)
        assert run(room, 2, LeaveRoom()) == [MemberLeft(user_id=2, reason="left")]
        assert 2 not in room.members
        assert isinstance(run(room, 2, Join(None))[0], MemberJoined)  # may come back

    def test_host_leaving_hands_over_to_cohost(self) -> None:
        room = new_room()
        add(room, 2, Role.COHOST, role_since=3.0)
        add(room, 3, Role.COHOST, role_since=1.0)
        events = run(room, HOST, LeaveRoom(), now=20.0)
        assert events[0] == MemberLeft(user_id=HOST, reason="left")
        assert isinstance(events[1], MemberUpdated) and events[1].member.user_id == 3
        assert isinstance(events[2], RoomUpdated) and events[2].host_id == 3
        assert room.live and room.host_id == 3

    def test_host_leaving_without_cohost_ends_room(self) -> None:
        room = new_room()
        add(room, 2, Role.SPEAKER)
        events = run(room, HOST, LeaveRoom(), now=20.0)
        assert events == [MemberLeft(user_id=HOST, reason="left"), RoomEnded(reason="host_left")]
        assert (room.status, room.ended_at) == ("ended", 20.0)

    def test_host_ends_room(self) -> None:
        room = new_room()
        assert run(room, HOST, EndRoom(), now=7.0) == [RoomEnded(reason="ended_by_host")]
        assert (room.status, room.ended_at) == ("ended", 7.0)

    def test_cohost_cannot_end_room(self) -> None:
        room = new_room()
        add(room, 2, Role.COHOST)
        refused(room, 2, EndRoom(), ErrorCode.FORBIDDEN)

    def test_every_command_on_an_ended_room_is_refused(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        run(room, HOST, EndRoom())
        attempts: list[tuple[int, RoomCommand]] = [
            (2, React(reaction="clap")),
            (2, Disconnect()),
            (HOST, LeaveRoom()),
            (HOST, EndRoom()),
        ]
        for uid, cmd in attempts:
            refused(room, uid, cmd, ErrorCode.ROOM_ENDED)
        refused(room, 99, RaiseHand(), ErrorCode.ROOM_ENDED)

    def test_non_member_commands_are_refused(self) -> None:
        room = new_room()
        commands: list[RoomCommand] = [
            React(reaction="clap"),
            Disconnect(),
            LeaveRoom(),
            EndRoom(),
        ]
        for cmd in commands:
            refused(room, 99, cmd, ErrorCode.NOT_IN_ROOM)

    def test_react_reaches_everyone(self) -> None:
        room = new_room()
        add(room, 2, Role.LISTENER)
        assert run(room, 2, React(reaction="fire")) == [Reacted(user_id=2, reaction="fire")]
