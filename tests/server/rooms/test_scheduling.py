"""The scheduled-rooms core: plan checks, who may do what, what the clock makes due."""

import dataclasses
from typing import Any

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.model import Role
from app.server.rooms import Actor, RoomError, handle, tick
from app.server.rooms import scheduling as core
from app.server.rooms.commands import Join
from app.server.rooms.lifecycle import create_room, place
from app.server.rooms.scheduled_state import Invitee, Plan, ScheduledRoomState

HOST = Actor(1, "hana")
NOW = 1_800_000_000.0
HOUR = 3600.0


def plan(starts_at: float = NOW + HOUR, **fields: object) -> Plan:
    base = Plan("Weekly talk", "news", starts_at, False, (Invitee(2, "citra", Role.COHOST),))
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def scheduled(**fields: Any) -> ScheduledRoomState:
    return core.schedule("s1", HOST, plan(**fields), NOW, 0)


def refused(code: ErrorCode) -> "pytest.RaisesExc[RoomError]":
    return pytest.raises(RoomError, match=f"^{code}:")


def test_a_plan_keeps_what_the_host_chose_with_the_text_trimmed() -> None:
    state = core.schedule("s1", HOST, plan(title="  Weekly talk "), NOW, 0)
    view = core.view(state, reminders=2, reminded=True)
    assert (view.title, view.status, view.host_name, view.cohosts, view.speakers) == (
        "Weekly talk",
        "scheduled",
        "hana",
        ["citra"],
        [],
    )
    assert (view.reminders, view.reminded, view.starts_at) == (2, True, NOW + HOUR)


@pytest.mark.parametrize(
    ("starts_at", "allowed"),
    [
        (NOW - core.PAST_SLACK - 1, False),
        (NOW - core.PAST_SLACK + 1, True),
        (NOW + core.MAX_AHEAD - 1, True),
        (NOW + core.MAX_AHEAD + 1, False),
    ],
)
def test_a_start_time_in_the_past_or_too_far_ahead_is_bad_start_time(
    starts_at: float, allowed: bool
) -> None:
    if allowed:
        assert scheduled(starts_at=starts_at).plan.starts_at == starts_at
    else:
        with refused(ErrorCode.BAD_START_TIME):
            scheduled(starts_at=starts_at)


@pytest.mark.parametrize(
    "invitees",
    [
        (Invitee(1, "hana", Role.COHOST),),  # the host
        (Invitee(2, "citra", Role.COHOST), Invitee(2, "citra", Role.SPEAKER)),  # twice
        (Invitee(2, "citra", Role.HOST),),  # not an invited role
        tuple(Invitee(10 + i, f"u{i}", Role.SPEAKER) for i in range(13)),  # over 12
    ],
)
def test_bad_invitees_are_invalid(invitees: tuple[Invitee, ...]) -> None:
    with refused(ErrorCode.INVALID):
        scheduled(invitees=invitees)


def test_an_empty_title_is_invalid() -> None:
    with refused(ErrorCode.INVALID):
        scheduled(title="   ")


def test_a_host_holds_a_bounded_number_of_upcoming_plans() -> None:
    with refused(ErrorCode.INVALID_STATE):
        core.schedule("s1", HOST, plan(), NOW, core.MAX_UPCOMING_PER_HOST)


def test_only_the_host_edits_cancels_or_starts() -> None:
    state = scheduled()
    for user_id in (2, 3):  # the invited co-host, anyone
        with refused(ErrorCode.FORBIDDEN):
            core.edit(state, user_id, plan(title="Mine now"), NOW)
        with refused(ErrorCode.FORBIDDEN):
            core.cancel(state, user_id)
        with refused(ErrorCode.FORBIDDEN):
            core.check_start(state, user_id)
        core.check_reminder(state, user_id)  # but both may ask for a reminder
    assert core.cancel(state, HOST.user_id).status == "cancelled"
    core.check_start(state, HOST.user_id)


def test_an_invite_only_plan_does_not_exist_for_those_not_invited() -> None:
    state = scheduled(invite_only=True)
    with refused(ErrorCode.SCHEDULE_NOT_FOUND):
        core.check_reminder(state, 3)
    with refused(ErrorCode.SCHEDULE_NOT_FOUND):
        core.edit(state, 3, plan(), NOW)
    core.check_reminder(state, 2)  # the invited co-host sees it
    core.check_reminder(state, HOST.user_id)


def test_a_plan_that_is_over_refuses_every_change() -> None:
    for over in (
        core.cancel(scheduled(), HOST.user_id),
        core.started(scheduled(), "room1"),
        core.after(scheduled(), core.Due.MISS, NOW),
    ):
        with refused(ErrorCode.INVALID_STATE):
            core.edit(over, HOST.user_id, plan(), NOW)
        with refused(ErrorCode.INVALID_STATE):
            core.check_start(over, HOST.user_id)
        with refused(ErrorCode.INVALID_STATE):
            core.check_reminder(over, 3)


def test_the_start_reminder_is_due_once_then_missed_after_the_grace_time() -> None:
    state = scheduled()
    starts = state.plan.starts_at
    assert core.due(state, starts - 1) is None
    assert core.next_due([state]) == starts
    assert core.due(state, starts) is core.Due.REMIND
    reminded = core.after(state, core.Due.REMIND, starts)
    assert reminded.version == state.version + 1
    assert core.due(reminded, starts + 60) is None  # not twice
    assert core.next_due([reminded]) == starts + core.MISSED_AFTER
    assert core.due(reminded, starts + core.MISSED_AFTER) is core.Due.MISS
    # A server that was down over the whole window marks it missed, without a stale reminder.
    assert core.due(state, starts + core.MISSED_AFTER + 1) is core.Due.MISS
    missed = core.after(reminded, core.Due.MISS, starts + core.MISSED_AFTER)
    assert missed.status == "missed"
    assert core.due(missed, starts + 10 * HOUR) is None
    assert core.next_due([missed]) is None


def test_rescheduling_reminds_again_at_the_new_time_and_editing_the_rest_does_not() -> None:
    reminded = core.after(scheduled(), core.Due.REMIND, NOW + HOUR)
    retitled = core.edit(reminded, HOST.user_id, plan(title="New title"), NOW)
    assert retitled.reminded_at == NOW + HOUR
    moved = core.edit(reminded, HOST.user_id, plan(starts_at=NOW + 2 * HOUR), NOW)
    assert moved.reminded_at is None
    assert core.next_due([moved]) == NOW + 2 * HOUR


def test_start_now_puts_the_invited_in_place_and_their_join_takes_it() -> None:
    state = scheduled(
        invitees=(Invitee(2, "citra", Role.COHOST), Invitee(3, "dewi", Role.SPEAKER)),
        invite_only=True,
    )
    room = create_room("r1", HOST, "Weekly talk", "", True, 13, NOW, 120.0)
    for person, role in core.invitee_roles(state):
        place(room, person, role, NOW)
    assert {m.user_id: (m.role, m.connected) for m in room.stage()} == {
        1: (Role.HOST, True),
        2: (Role.COHOST, False),
        3: (Role.SPEAKER, False),
    }
    # Invite-only, yet no code needed: the place is theirs.
    handle(room, Actor(3, "dewi"), Join(None), NOW + 10)
    assert room.members[3].connected and room.members[3].role is Role.SPEAKER
    with pytest.raises(RoomError, match="invite_required"):
        handle(room, Actor(4, "eko"), Join(None), NOW + 10)
    # The one who never came holds the place for the grace period, like a dropped member.
    tick(room, NOW + 121)
    assert 2 not in room.members and 3 in room.members


def test_placing_beyond_the_stage_is_refused() -> None:
    room = create_room("r1", HOST, "t", "", False, 2, NOW, 120.0)
    place(room, Actor(2, "citra"), Role.SPEAKER, NOW)
    with pytest.raises(RoomError, match="stage_full"):
        place(room, Actor(3, "dewi"), Role.SPEAKER, NOW)
