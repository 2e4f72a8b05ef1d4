"""The rules of scheduled rooms: sans-I/O, like the room core.

The shell passes the time in (`now`, epoch seconds, UTC) and stores what
comes back; nothing here reads a clock, the database or a socket. Who may do
what is `permissions.require_scheduled`'s; the state checks are here.

A plan's life: `scheduled` until its host starts it (`live`), cancels it
(`cancelled`), or lets it pass by more than `MISSED_AFTER` (`missed`). At the
start time its reminders are queued once (`reminded_at`); a reschedule to a
new time queues them again at that time.
"""

import dataclasses
from collections.abc import Iterable
from enum import StrEnum

from app.protocol.errors import ErrorCode
from app.protocol.model import Role, ScheduledRoom
from app.protocol.requests import MAX_INVITED_AHEAD, MAX_TITLE, MAX_TOPIC
from app.server.rooms.errors import RoomError
from app.server.rooms.permissions import INVITABLE_AHEAD, ScheduleAction, require_scheduled
from app.server.rooms.scheduled_state import Invitee, Plan, ScheduledRoomState
from app.server.rooms.state import Actor

# A start time a little in the past is a clock apart, or "now" typed slowly.
PAST_SLACK = 60.0
# A year ahead: further than anyone plans a talk, and bounded so that the
# directory does not fill with rooms nobody will remember.
MAX_AHEAD = 366 * 86400.0
# A room not started within half an hour of its time is marked missed: those
# who came at the time have gone by then, and a late "starting" reminder would
# mislead. The host can schedule it again.
MISSED_AFTER = 30 * 60.0
# Upcoming plans one host may hold at once (a directory is not a calendar).
MAX_UPCOMING_PER_HOST = 20


class Due(StrEnum):
    """What the clock makes of a plan; the value is the notice's kind."""

    REMIND = "starting"
    MISS = "missed"


def check_plan(plan: Plan, host_id: int, now: float) -> Plan:
    """The plan with its text trimmed; RoomError with a clear code if it cannot be."""
    title, topic = plan.title.strip(), plan.topic.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise RoomError(ErrorCode.INVALID, f"a title has 1 to {MAX_TITLE} characters")
    if len(topic) > MAX_TOPIC:
        raise RoomError(ErrorCode.INVALID, f"a topic has at most {MAX_TOPIC} characters")
    if plan.starts_at < now - PAST_SLACK:
        raise RoomError(ErrorCode.BAD_START_TIME, "the start time has passed")
    if plan.starts_at > now + MAX_AHEAD:
        raise RoomError(ErrorCode.BAD_START_TIME, "a room can be scheduled at most a year ahead")
    if len(plan.invitees) > MAX_INVITED_AHEAD:
        raise RoomError(ErrorCode.INVALID, f"at most {MAX_INVITED_AHEAD} people invited ahead")
    seen: set[int] = set()
    for invitee in plan.invitees:
        if invitee.role not in INVITABLE_AHEAD:
            raise RoomError(ErrorCode.INVALID, "invited ahead as a co-host or a speaker only")
        if invitee.user_id == host_id:
            raise RoomError(ErrorCode.INVALID, "the host is on the stage already")
        if invitee.user_id in seen:
            raise RoomError(ErrorCode.INVALID, f"{invitee.name} is invited twice")
        seen.add(invitee.user_id)
    return dataclasses.replace(plan, title=title, topic=topic)


def schedule(
    schedule_id: str, host: Actor, plan: Plan, now: float, upcoming_of_host: int
) -> ScheduledRoomState:
    """A new plan hosted by `host`; `upcoming_of_host`: how many they hold already."""
    if upcoming_of_host >= MAX_UPCOMING_PER_HOST:
        raise RoomError(
            ErrorCode.INVALID_STATE,
            f"you have {MAX_UPCOMING_PER_HOST} upcoming rooms already; cancel one first",
        )
    return ScheduledRoomState(
        schedule_id=schedule_id,
        host_id=host.user_id,
        host_name=host.name,
        plan=check_plan(plan, host.user_id, now),
        status="scheduled",
        created_at=now,
    )


def edit(state: ScheduledRoomState, user_id: int, plan: Plan, now: float) -> ScheduledRoomState:
    """The host's new plan. A new start time is reminded of again, at that time."""
    require_scheduled(state, user_id, ScheduleAction.EDIT)
    _require_upcoming(state)
    plan = check_plan(plan, state.host_id, now)
    reminded_at = state.reminded_at if plan.starts_at == state.plan.starts_at else None
    return _next(state, plan=plan, reminded_at=reminded_at)


def cancel(state: ScheduledRoomState, user_id: int) -> ScheduledRoomState:
    require_scheduled(state, user_id, ScheduleAction.CANCEL)
    _require_upcoming(state)
    return _next(state, status="cancelled")


def check_start(state: ScheduledRoomState, user_id: int) -> None:
    """Raise unless this user may start the plan now (the shell then opens the room)."""
    require_scheduled(state, user_id, ScheduleAction.START)
    _require_upcoming(state)


def started(state: ScheduledRoomState, room_id: str) -> ScheduledRoomState:
    """The plan once its live room exists."""
    return _next(state, status="live", room_id=room_id)


def check_reminder(state: ScheduledRoomState, user_id: int) -> None:
    """Raise unless this user may ask to be reminded (or stop) now."""
    require_scheduled(state, user_id, ScheduleAction.REMIND)
    _require_upcoming(state)


def due(state: ScheduledRoomState, now: float) -> Due | None:
    """What is due for this plan now, if anything (missed wins over a late reminder)."""
    if state.status != "scheduled":
        return None
    if now >= state.plan.starts_at + MISSED_AFTER:
        return Due.MISS
    if state.reminded_at is None and now >= state.plan.starts_at:
        return Due.REMIND
    return None


def after(state: ScheduledRoomState, what: Due, now: float) -> ScheduledRoomState:
    """The plan once `what` was carried out."""
    if what is Due.MISS:
        return _next(state, status="missed")
    return _next(state, reminded_at=now)


def next_due(states: Iterable[ScheduledRoomState]) -> float | None:
    """When the clock next has something to do for these plans (the shell's one timer)."""
    times = [
        state.plan.starts_at if state.reminded_at is None else state.plan.starts_at + MISSED_AFTER
        for state in states
        if state.status == "scheduled"
    ]
    return min(times, default=None)


def invitee_roles(state: ScheduledRoomState) -> list[tuple[Actor, Role]]:
    """Who is put in place on the live room's stage, and as what."""
    return [(Actor(i.user_id, i.name), i.role) for i in state.plan.invitees]


def view(state: ScheduledRoomState, reminders: int, reminded: bool) -> ScheduledRoom:
    plan = state.plan
    return ScheduledRoom(
        schedule_id=state.schedule_id,
        title=plan.title,
        topic=plan.topic,
        starts_at=plan.starts_at,
        invite_only=plan.invite_only,
        host_id=state.host_id,
        host_name=state.host_name,
        cohosts=state.names(Role.COHOST),
        speakers=state.names(Role.SPEAKER),
        status=state.status,
        room_id=state.room_id,
        reminders=reminders,
        reminded=reminded,
    )


def make_invitees(
    cohosts: Iterable[tuple[int, str]], speakers: Iterable[tuple[int, str]]
) -> tuple[Invitee, ...]:
    return tuple(
        [Invitee(uid, name, Role.COHOST) for uid, name in cohosts]
        + [Invitee(uid, name, Role.SPEAKER) for uid, name in speakers]
    )


def _require_upcoming(state: ScheduledRoomState) -> None:
    if state.status != "scheduled":
        raise RoomError(ErrorCode.INVALID_STATE, f"this scheduled room is {state.status} already")


def _next(state: ScheduledRoomState, **changes: object) -> ScheduledRoomState:
    return dataclasses.replace(state, version=state.version + 1, **changes)  # type: ignore[arg-type]
