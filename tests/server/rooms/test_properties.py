"""Invariants of the room core under random commands from random members at random times.

A hypothesis state machine drives one room with joins, drops, every member
command (aimed at members and at strangers), clock ticks and restarts, and
checks after every step: exactly one host while live, the stage never over
capacity, nobody off stage in the mix, listeners never act like speakers,
banned users never inside, event numbers rising by exactly one, refusals
changing nothing, and the durable part surviving a restore. Since the
audience became a summary also: the room's indexes agree with its members,
and a client following only the numbered events (the client's own RoomModel)
knows exactly the members the server shows one by one.

The commands are drawn from strategies derived from the core's registry
(`strategies.py`), so a new command is fuzzed here without editing this file.
"""

import copy

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.client.room_model import RoomModel
from app.protocol.errors import ErrorCode
from app.protocol.model import Role
from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    DeclineInvite,
    DenyHand,
    EndRoom,
    InviteToStage,
    LeaveRoom,
    LeaveStage,
    MakeCohost,
    Mute,
    MuteAll,
    PushToTalk,
    RaiseHand,
    React,
    Remove,
    SelfMute,
    SetHandsEnabled,
    SetLocked,
    SetRecording,
    Unban,
    UnmakeCohost,
)
from app.server.rooms import (
    PERMISSIONS,
    AddInvite,
    Disconnect,
    Join,
    MemberCommand,
    Room,
    RoomCommand,
    RoomError,
    create_room,
    handle,
    may_be_heard,
    restore,
    snapshot,
    tick,
    to_durable,
)
from app.server.rooms.core import action_of
from app.server.rooms.permissions import may_hold_floor
from app.server.rooms.views import audience_count, floor_view, member_view

from .helpers import actor
from .strategies import any_command, own_commands, room_commands, targets, users

# Mostly quick succession, sometimes long enough for a grace period to run out.
steps = st.one_of(
    st.floats(min_value=0.0, max_value=2.0, allow_nan=False),
    st.floats(min_value=0.0, max_value=40.0, allow_nan=False),
)
codes = st.sampled_from([None, "a", "b"])

# Everything a listener must never be able to do, as concrete commands.
STAGE_ONLY: list[MemberCommand] = [
    PushToTalk(pressed=True),
    SelfMute(muted=True),
    SelfMute(muted=False),
    LeaveStage(),
    MuteAll(),
    Mute(user_id=1),
    ApproveHand(user_id=1),
    InviteToStage(user_id=1),
    SetLocked(locked=True),
    SetHandsEnabled(enabled=False),
    AddInvite("x"),
    SetRecording(on=True),
    SetRecording(on=False),
    EndRoom(),
    MakeCohost(user_id=1),
]


def plausible(room: Room) -> list[tuple[int, RoomCommand]]:
    """(actor, command) pairs that ordinary room life would produce in this state."""
    out: list[tuple[int, RoomCommand]] = []
    members = list(room.members.values())
    has_cohost = any(m.role is Role.COHOST for m in members)
    for user_id in range(1, 8):
        if user_id in room.bans:
            # Trying to get back in after a ban; unbanned now and then.
            out += [(user_id, Join("a")), (room.host_id, Unban(user_id=user_id))]
        elif user_id not in room.members and not room.locked:
            out.append((user_id, Join("a")))
    if room.locked:
        out.append((room.host_id, SetLocked(locked=False)))
    if not room.hands_enabled:
        out.append((room.host_id, SetHandsEnabled(enabled=True)))
    for m in members:
        if m.role is Role.LISTENER:
            if m.invited:
                out += [(m.user_id, AcceptInvite()), (m.user_id, DeclineInvite())]
            elif room.hands_enabled and m.hand_raised_at is None:
                out.append((m.user_id, RaiseHand()))
            continue
        out.append((m.user_id, SelfMute(muted=not m.self_muted)))
        # Moderators go now and then; the host only when a co-host could take over.
        if m.role is Role.COHOST or (m.role is Role.HOST and has_cohost):
            out += [(m.user_id, LeaveRoom())] + [(m.user_id, Disconnect())] * 2
        if m.role is Role.SPEAKER:
            out.append((m.user_id, LeaveStage()))
            out.append((room.host_id, MakeCohost(user_id=m.user_id)))
        if m.role is Role.COHOST:
            out.append((room.host_id, UnmakeCohost(user_id=m.user_id)))
        if m.role is Role.SPEAKER or m.role is Role.COHOST:
            for mod in (room.host_id, m.user_id):
                out.append((mod, Mute(user_id=m.user_id)))
    # Removal and bans, aimed at the newest member only so that rooms do not empty.
    newest = members[-1]
    if newest.role is not Role.HOST:
        out.append((room.host_id, Remove(user_id=newest.user_id)))
        out.append((room.host_id, Ban(user_id=newest.user_id)))
    for t in members:
        if t.role is not Role.LISTENER:
            continue
        for mod in [m.user_id for m in members if m.role in (Role.HOST, Role.COHOST)]:
            if t.hand_raised_at is not None:
                out += [(mod, ApproveHand(user_id=t.user_id))] * 2
                out.append((mod, DenyHand(user_id=t.user_id)))
            elif not t.invited:
                out.append((mod, InviteToStage(user_id=t.user_id)))
    return out


class RoomMachine(RuleBasedStateMachine):
    room: Room
    now: float
    banned: set[int]

    @initialize(
        capacity=st.integers(min_value=1, max_value=5),
        invite_only=st.booleans(),
        grace=st.sampled_from([5.0, 30.0]),
    )
    def create(self, capacity: int, invite_only: bool, grace: float) -> None:
        self.now = 0.0
        self._open(capacity, invite_only, grace)

    def _open(self, capacity: int, invite_only: bool, grace: float) -> None:
        # Who a moderator banned (and nobody unbanned since), tracked outside the room.
        self.banned = set()
        self.room = create_room("r", actor(1), "Room", "", invite_only, capacity, self.now, grace)
        self.room.invites.add("a")
        # Someone who follows the room's numbered events (user 9 never joins).
        self.observer = RoomModel(snapshot(self.room), me=9)

    def _apply(self, user_id: int, command: RoomCommand) -> None:
        room = self.room
        before = copy.deepcopy(room)
        # The role, not the member: the command may change the member in place.
        role_before = room.members[user_id].role if user_id in room.members else None
        try:
            numbered = handle(room, actor(user_id), command, self.now).events
        except RoomError as err:
            assert room == before, f"{command} refused with {err.code} but changed the room"
            if not before.live:
                assert err.code == ErrorCode.ROOM_ENDED
            if isinstance(command, Join) and user_id in before.bans and before.live:
                assert err.code == ErrorCode.BANNED
            return
        assert before.live
        assert [seq for seq, _ in numbered] == list(range(before.seq + 1, room.seq + 1))
        for seq, event in numbered:
            assert self.observer.apply(seq, event)
        if isinstance(command, Ban):
            self.banned.add(command.user_id)
        elif isinstance(command, Unban):
            self.banned.discard(command.user_id)
        assert isinstance(command, Join) or role_before is not None
        if role_before is Role.LISTENER and not isinstance(command, Join):
            action = action_of(command)
            assert action is None or action in PERMISSIONS[Role.LISTENER]

    def _members(self, *roles: Role) -> list[int]:
        return sorted(m.user_id for m in self.room.members.values() if not roles or m.role in roles)

    @rule(user_id=users, code=codes, dt=steps)
    def join(self, user_id: int, code: str | None, dt: float) -> None:
        self.now += dt
        self._apply(user_id, Join(code))

    @rule(user_id=targets, command=any_command, dt=steps)
    def anyone_tries_anything(self, user_id: int, command: MemberCommand, dt: float) -> None:
        self.now += dt
        self._apply(user_id, command)

    @precondition(lambda self: self.room.live)
    @rule(data=st.data(), command=own_commands, dt=steps)
    def member_acts(self, data: st.DataObject, command: MemberCommand, dt: float) -> None:
        self.now += dt
        self._apply(data.draw(st.sampled_from(self._members())), command)

    @precondition(lambda self: self.room.live)
    @rule(data=st.data(), bursts=st.integers(min_value=1, max_value=4), dt=steps)
    def room_life(self, data: st.DataObject, bursts: int, dt: float) -> None:
        """A few things that make sense right now: runs reach full stages and hand-overs."""
        self.now += dt
        for _ in range(bursts):
            options = plausible(self.room) if self.room.live else []
            if options:
                self._apply(*data.draw(st.sampled_from(options)))

    @precondition(lambda self: self.room.live)
    @rule(data=st.data(), command=room_commands, dt=steps)
    def moderator_runs_room(self, data: st.DataObject, command: MemberCommand, dt: float) -> None:
        self.now += dt
        self._apply(data.draw(st.sampled_from(self._members(Role.HOST, Role.COHOST))), command)

    @precondition(lambda self: self.room.live)
    @rule(data=st.data(), dt=steps)
    def rejoin(self, data: st.DataObject, dt: float) -> None:
        away = [m.user_id for m in self.room.members.values() if not m.connected]
        if away:
            self.now += dt
            self._apply(data.draw(st.sampled_from(sorted(away))), Join(None))

    @rule(dt=steps)
    def clock(self, dt: float) -> None:
        self.now += dt
        before = self.room.seq
        numbered = tick(self.room, self.now).events
        assert [seq for seq, _ in numbered] == list(range(before + 1, self.room.seq + 1))
        for seq, event in numbered:
            assert self.observer.apply(seq, event)

    @rule(data=st.data(), dt=steps)
    def restart(self, data: st.DataObject, dt: float) -> None:
        """The server restarts from the durable part; some members come straight back."""
        self.now += dt
        durable = to_durable(self.room)
        self.room = restore(durable, self.now, self.room.grace_period)
        assert to_durable(self.room) == durable
        assert self.room.seq == 0 and not self.room.recording
        assert all(not m.connected for m in self.room.members.values())
        self.observer = RoomModel(snapshot(self.room), me=9)
        if self._members():
            for user_id in data.draw(st.lists(st.sampled_from(self._members()), unique=True)):
                self._apply(user_id, Join(None))

    @precondition(lambda self: not self.room.live)
    @rule(capacity=st.integers(min_value=1, max_value=5), invite_only=st.booleans())
    def reopen(self, capacity: int, invite_only: bool) -> None:
        """An ended room refuses everything; then a new one opens so the run goes on."""
        for user_id in self._members() or [1]:
            for command in (
                Join(None),
                LeaveRoom(),
                Disconnect(),
                React(reaction="wave"),
            ):
                self._apply(user_id, command)
        self._open(capacity, invite_only, self.room.grace_period)

    @invariant()
    def one_host_while_live(self) -> None:
        if self.room.live:
            hosts = [m.user_id for m in self.room.members.values() if m.role is Role.HOST]
            assert hosts == [self.room.host_id]
            assert not self.room.members[self.room.host_id].mod_muted

    @invariant()
    def stage_within_capacity(self) -> None:
        assert len(self.room.stage()) <= self.room.stage_capacity

    @invariant()
    def nobody_off_stage_is_heard(self) -> None:
        for user_id in range(1, 10):
            if may_be_heard(self.room, user_id):
                member = self.room.members[user_id]
                assert member.on_stage and not member.mod_muted

    @invariant()
    def banned_users_are_outside(self) -> None:
        assert self.banned <= self.room.bans
        assert not self.room.bans & self.room.members.keys()

    @invariant()
    def member_fields_agree(self) -> None:
        for m in self.room.members.values():
            if m.role is not Role.LISTENER:
                assert m.hand_raised_at is None and not m.invited
            assert m.connected == (m.disconnected_at is None)
            # Push-to-talk: held only on stage.
            assert not m.ptt_held or m.on_stage

    @invariant()
    def listeners_cannot_act_like_speakers(self) -> None:
        if not self.room.live:
            return
        # One copy serves every trial: a refused command leaves it untouched.
        trial = copy.deepcopy(self.room)
        for m in self.room.members.values():
            if m.role is not Role.LISTENER:
                continue
            for command in STAGE_ONLY:
                try:
                    handle(trial, actor(m.user_id), command, self.now)
                except RoomError as err:
                    assert err.code == ErrorCode.FORBIDDEN
                else:
                    raise AssertionError(f"listener {m.user_id} was allowed {command}")

    @invariant()
    def indexes_agree_with_the_members(self) -> None:
        room = self.room
        members = room.members.values()
        listeners = [m for m in members if m.role is Role.LISTENER]
        assert room.shown == {
            m.user_id: m for m in members if m.on_stage or m.hand_raised_at is not None or m.invited
        }
        assert room.present == {m.user_id for m in listeners if m.connected}
        assert room.hands == {m.user_id for m in members if m.hand_raised_at is not None}
        assert list(room.names) == sorted((m.name.casefold(), m.user_id) for m in listeners)
        assert room.away == {
            m.user_id: m.disconnected_at for m in members if m.disconnected_at is not None
        }
        assert audience_count(room).hands == len(room.hand_queue())

    @invariant()
    def events_tell_everyone_who_is_shown(self) -> None:
        if not self.room.live:
            return
        shown = {
            m.user_id: member_view(m)
            for m in self.room.members.values()
            if m.on_stage or m.hand_raised_at is not None or m.invited
        }
        assert self.observer.members == shown, (self.observer.members, shown)

    @invariant()
    def the_floor_holds_one_voice_and_everyone_is_told(self) -> None:
        room = self.room
        if not room.live:
            return
        if room.floor_control:
            holder = room.floor_holder
            heard = {u for u in range(1, 10) if may_be_heard(room, u)}
            assert heard <= ({holder} if holder is not None else set())
            assert holder not in room.floor_queue
            assert len(set(room.floor_queue)) == len(room.floor_queue)
            # Only those who could be heard hold or wait for the floor.
            waiting = room.floor_queue + ([holder] if holder is not None else [])
            assert all(may_hold_floor(room, u) for u in waiting)
        else:
            assert room.floor_holder is None and not room.floor_queue
        assert self.observer.floor == floor_view(room)

    @invariant()
    def only_a_live_room_is_recorded(self) -> None:
        if not self.room.live:
            assert not self.room.recording

    @invariant()
    def durable_part_round_trips(self) -> None:
        durable = to_durable(self.room)
        assert to_durable(restore(durable, self.now + 1.0)) == durable
        kept = {m.user_id for m in self.room.stage()} | {m.user_id for m in self.room.hand_queue()}
        assert {m.user_id for m in durable.members} == kept


RoomMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRoomMachine = RoomMachine.TestCase
