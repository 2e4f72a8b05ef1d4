"""The whole permission table, walked role by role and action by action.

For every Role x Action we build a room where the actor has that role and the
action's own preconditions hold, then check that `handle` allows the action
exactly where PERMISSIONS says and refuses it with FORBIDDEN (leaving the
room untouched) everywhere else.
"""

import copy
from collections.abc import Callable

import pytest

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
    ListAudience,
    ListBans,
    LowerHand,
    MakeCohost,
    MoveToAudience,
    Mute,
    MuteAll,
    PinLink,
    PushToTalk,
    RaiseHand,
    React,
    Remove,
    SelfMute,
    SetFloorControl,
    SetHandsEnabled,
    SetLocked,
    SetRecording,
    SetTalkMode,
    SetTopic,
    Unban,
    UnmakeCohost,
    Unmute,
)
from app.server.rooms import (
    PERMISSIONS,
    Action,
    AddInvite,
    Disconnect,
    Join,
    Member,
    Room,
    RoomCommand,
    RoomError,
    audience_page,
    check,
    may_be_heard,
    snapshot,
)
from app.server.rooms.core import action_of, handle
from app.server.rooms.permissions import may_see_listing, may_see_room, outranks

from .helpers import HOST, actor, add, new_room, refused

# One actor per role; targets rank below every moderator.
ACTOR_OF = {Role.HOST: HOST, Role.COHOST: 2, Role.SPEAKER: 3, Role.LISTENER: 4}
SPEAKER, COHOST, HAND, AUDIENCE, OUTSIDER = 10, 11, 12, 13, 99


def scene() -> Room:
    room = new_room(capacity=10)
    add(room, ACTOR_OF[Role.COHOST], Role.COHOST)
    add(room, ACTOR_OF[Role.SPEAKER], Role.SPEAKER)
    add(room, ACTOR_OF[Role.LISTENER], Role.LISTENER)
    add(room, SPEAKER, Role.SPEAKER, mod_muted=True)
    add(room, COHOST, Role.COHOST)
    add(room, HAND, Role.LISTENER, hand_raised_at=1.0)
    add(room, AUDIENCE, Role.LISTENER)
    room.bans.add(OUTSIDER)
    return room


def _hand_up(me: Member) -> None:
    me.hand_raised_at = 1.0


def _invited(me: Member) -> None:
    me.invited = True


def _self_muted(me: Member) -> None:
    me.self_muted = True


def _nothing(me: Member) -> None:
    pass


# Each action: the command that exercises it, and what must hold for the actor.
Setup = Callable[[Member], None]
SCENARIOS: dict[Action, tuple[RoomCommand | ListAudience | ListBans, Setup]] = {
    Action.LEAVE_ROOM: (LeaveRoom(), _nothing),
    Action.REACT: (React(reaction="wave"), _nothing),
    Action.RAISE_HAND: (RaiseHand(), _nothing),
    Action.LOWER_HAND: (LowerHand(), _hand_up),
    Action.ACCEPT_INVITE: (AcceptInvite(), _invited),
    Action.DECLINE_INVITE: (DeclineInvite(), _invited),
    Action.SELF_MUTE: (SelfMute(muted=True), _nothing),
    Action.SELF_UNMUTE: (SelfMute(muted=False), _self_muted),
    Action.PUSH_TO_TALK: (PushToTalk(pressed=True), _nothing),
    Action.SET_TALK_MODE: (SetTalkMode(voice_activity=True), _nothing),
    Action.LEAVE_STAGE: (LeaveStage(), _nothing),
    Action.APPROVE_HAND: (ApproveHand(user_id=HAND), _nothing),
    Action.DENY_HAND: (DenyHand(user_id=HAND), _nothing),
    Action.INVITE_TO_STAGE: (InviteToStage(user_id=AUDIENCE), _nothing),
    Action.MOVE_TO_AUDIENCE: (MoveToAudience(user_id=SPEAKER), _nothing),
    Action.MUTE: (Mute(user_id=ACTOR_OF[Role.SPEAKER]), _nothing),
    Action.UNMUTE: (Unmute(user_id=SPEAKER), _nothing),
    Action.MUTE_ALL: (MuteAll(), _nothing),
    Action.REMOVE: (Remove(user_id=SPEAKER), _nothing),
    Action.BAN: (Ban(user_id=SPEAKER), _nothing),
    Action.UNBAN: (Unban(user_id=OUTSIDER), _nothing),
    Action.SET_LOCKED: (SetLocked(locked=True), _nothing),
    Action.SET_HANDS_ENABLED: (SetHandsEnabled(enabled=False), _nothing),
    Action.SET_FLOOR_CONTROL: (SetFloorControl(enabled=True), _nothing),
    Action.SET_TOPIC: (SetTopic(topic="new"), _nothing),
    Action.PIN_LINK: (PinLink(url="https://example.com"), _nothing),
    Action.ADD_INVITE: (AddInvite("code"), _nothing),
    Action.SET_RECORDING: (SetRecording(on=True), _nothing),
    Action.END_ROOM: (EndRoom(), _nothing),
    Action.MAKE_COHOST: (MakeCohost(user_id=SPEAKER), _nothing),
    Action.UNMAKE_COHOST: (UnmakeCohost(user_id=COHOST), _nothing),
    Action.LIST_AUDIENCE: (ListAudience(), _nothing),
    Action.LIST_BANS: (ListBans(), _nothing),
}


def test_every_action_has_a_scenario_and_every_role_a_row() -> None:
    assert set(SCENARIOS) == set(Action)
    assert set(PERMISSIONS) == set(Role)


def test_scenario_commands_map_to_their_action() -> None:
    for action, (command, _) in SCENARIOS.items():
        assert not isinstance(command, Join)
        assert action_of(command) is action


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_exactly_where_the_table_says(role: Role, action: Action) -> None:
    room = scene()
    me = room.members[ACTOR_OF[role]]
    command, setup = SCENARIOS[action]
    setup(me)
    room.reindex(me.user_id)
    before = copy.deepcopy(room)
    if isinstance(command, ListAudience | ListBans):
        # A read: the gate alone decides, and reading changes nothing.
        if action in PERMISSIONS[role]:
            check(room, actor(me.user_id), command)
            if isinstance(command, ListAudience):
                page = audience_page(room, None, "", 50)
                listed = {m.user_id for m in page.members}
                assert listed == {ACTOR_OF[Role.LISTENER], HAND, AUDIENCE}
        else:
            with pytest.raises(RoomError) as info:
                check(room, actor(me.user_id), command)
            assert info.value.code == ErrorCode.FORBIDDEN
        assert room == before
        return
    if action in PERMISSIONS[role]:
        events = handle(room, actor(me.user_id), command, 10.0)
        # Every scenario changes something the room can see, except the two
        # that touch only secrets (bans and invite codes) and push-to-talk
        # (the mix's business: it shows in the speaking levels).
        if action in (Action.UNBAN, Action.ADD_INVITE, Action.PUSH_TO_TALK):
            assert not events and room != before
        else:
            assert events
    else:
        with pytest.raises(RoomError) as info:
            handle(room, actor(me.user_id), command, 10.0)
        assert info.value.code == ErrorCode.FORBIDDEN
        assert room == before


def test_roles_nest_and_the_audience_only_listens() -> None:
    audience = {
        Action.LEAVE_ROOM,
        Action.REACT,
        Action.RAISE_HAND,
        Action.LOWER_HAND,
        Action.ACCEPT_INVITE,
        Action.DECLINE_INVITE,
    }
    assert PERMISSIONS[Role.LISTENER] <= audience
    assert Action.SELF_UNMUTE in PERMISSIONS[Role.SPEAKER]
    assert PERMISSIONS[Role.SPEAKER] - {Action.LEAVE_STAGE} <= PERMISSIONS[Role.HOST]
    assert PERMISSIONS[Role.COHOST] - {Action.LEAVE_STAGE} <= PERMISSIONS[Role.HOST]
    assert PERMISSIONS[Role.SPEAKER] <= PERMISSIONS[Role.COHOST]


AIMED: dict[Action, Callable[[int], RoomCommand]] = {
    Action.APPROVE_HAND: lambda u: ApproveHand(user_id=u),
    Action.DENY_HAND: lambda u: DenyHand(user_id=u),
    Action.INVITE_TO_STAGE: lambda u: InviteToStage(user_id=u),
    Action.MOVE_TO_AUDIENCE: lambda u: MoveToAudience(user_id=u),
    Action.MUTE: lambda u: Mute(user_id=u),
    Action.UNMUTE: lambda u: Unmute(user_id=u),
    Action.REMOVE: lambda u: Remove(user_id=u),
    Action.BAN: lambda u: Ban(user_id=u),
    Action.MAKE_COHOST: lambda u: MakeCohost(user_id=u),
    Action.UNMAKE_COHOST: lambda u: UnmakeCohost(user_id=u),
}


@pytest.mark.parametrize("action", list(AIMED))
@pytest.mark.parametrize("role", [Role.HOST, Role.COHOST])
def test_aiming_at_yourself_is_forbidden(role: Role, action: Action) -> None:
    room = scene()
    user_id = ACTOR_OF[role]
    refused(room, user_id, AIMED[action](user_id), ErrorCode.FORBIDDEN)


def test_only_unmuted_stage_members_of_a_live_room_may_be_heard() -> None:
    room = scene()
    add(room, 20, Role.SPEAKER, self_muted=True)
    assert not any(may_be_heard(room, uid) for uid in room.members)  # nobody holds the key
    for member in room.members.values():
        member.ptt_held = member.on_stage  # everyone who may hold it
    heard = {uid for uid in room.members if may_be_heard(room, uid)}
    # SPEAKER (10) is mod-muted; listeners, strangers and the self-muted are not heard.
    assert heard == {HOST, ACTOR_OF[Role.COHOST], ACTOR_OF[Role.SPEAKER], COHOST}
    assert not may_be_heard(room, OUTSIDER)
    room.status = "ended"
    assert not any(may_be_heard(room, uid) for uid in room.members)


def test_only_the_stage_may_hold_push_to_talk_muted_or_not() -> None:
    room = scene()
    talkers = set()
    for uid in room.members:
        try:
            handle(room, actor(uid), PushToTalk(pressed=True), 10.0)
        except RoomError as err:
            assert err.code == ErrorCode.FORBIDDEN
        else:
            talkers.add(uid)
    # The mod-muted SPEAKER (10) may hold the key; the mix still leaves them out.
    assert talkers == {HOST, ACTOR_OF[Role.COHOST], ACTOR_OF[Role.SPEAKER], SPEAKER, COHOST}
    assert room.holding_ptt() == talkers
    assert SPEAKER not in {uid for uid in room.members if may_be_heard(room, uid)}
    with pytest.raises(RoomError) as info:
        handle(room, actor(OUTSIDER), PushToTalk(pressed=True), 10.0)
    assert info.value.code == ErrorCode.NOT_IN_ROOM


def test_leaving_the_stage_or_the_connection_lets_go_of_push_to_talk() -> None:
    room = scene()
    for uid in (ACTOR_OF[Role.SPEAKER], ACTOR_OF[Role.COHOST]):
        handle(room, actor(uid), PushToTalk(pressed=True), 10.0)
    handle(room, actor(ACTOR_OF[Role.SPEAKER]), LeaveStage(), 11.0)
    handle(room, actor(ACTOR_OF[Role.COHOST]), Disconnect(), 12.0)
    assert room.holding_ptt() == frozenset()


@pytest.mark.parametrize("actor_role", list(Role))
@pytest.mark.parametrize("target_role", list(Role))
def test_outranks_is_the_strict_rank_order(actor_role: Role, target_role: Role) -> None:
    room = scene()
    me = add(room, 30, actor_role)
    them = add(room, 31, target_role)
    order = [Role.LISTENER, Role.SPEAKER, Role.COHOST, Role.HOST]
    assert outranks(me, them) == (order.index(target_role) < order.index(actor_role))
    assert not outranks(me, me)


def test_the_directory_shows_invite_only_rooms_only_to_those_inside() -> None:
    public, private = new_room(), new_room(invite_only=True)
    add(private, 5, Role.LISTENER)
    assert may_see_room(public, OUTSIDER) and may_see_room(public, HOST)
    assert not may_see_room(private, OUTSIDER)
    assert may_see_room(private, 5) and may_see_room(private, HOST)
    # Another node's listing: whether the user is inside is the hub's to say.
    assert may_see_listing(invite_only=False, inside=False)
    assert not may_see_listing(invite_only=True, inside=False)
    assert may_see_listing(invite_only=True, inside=True)
    public.status = "ended"
    assert not may_see_room(public, HOST)


@pytest.mark.parametrize("muted", [False, True])
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_the_pushed_actions_are_exactly_what_the_gate_lets_through(
    role: Role, action: Action, muted: bool
) -> None:
    room = scene()
    me = room.members[ACTOR_OF[role]]
    command, setup = SCENARIOS[action]
    setup(me)
    me.mod_muted = muted
    room.reindex(me.user_id)
    pushed = set(snapshot(room, me.user_id).allowed)  # what the member is told
    try:
        if isinstance(command, ListAudience | ListBans):
            check(room, actor(me.user_id), command)
        else:
            handle(room, actor(me.user_id), command, 10.0)
    except RoomError as err:
        assert err.code == ErrorCode.FORBIDDEN
        assert action not in pushed
    else:
        assert action in pushed
