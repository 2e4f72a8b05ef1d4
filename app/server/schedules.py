"""The scheduled-rooms shell: requests in, the store behind, notices out.

The rules are the sans-I/O core's (`app.server.rooms.scheduling`, with who may
do what in `permissions`); this shell reads the clock, stores each decision
with a version check and delivers what people asked to be told.

One timer for every plan: `run` sleeps until the next thing due (a start
time, a missed mark) or a few seconds, whichever comes first, then scans the
upcoming plans from the store (in a cluster another node may have made
them). Each due plan is carried out on its own, so one that fails stays
alone; the version check makes each happen once in a whole cluster.

Notices are queued in the store in the transaction that made them due, one
per person reminded, and claimed (`delivered_at`, RETURNING) by the node that
person is connected to: a notice is delivered once, survives a restart, and
waits (a day at most) for someone who is away.
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable

from app.protocol import encode
from app.protocol.errors import ErrorCode
from app.protocol.model import Role, RoomSnapshot, ScheduledRoom
from app.protocol.replies import ScheduleNotice, ScheduleNoticeKind
from app.protocol.requests import CreateRoom, EditScheduled, ScheduleRoom
from app.server.hub import Attachment, RoomHub
from app.server.logs import RateLimitedLog
from app.server.rooms import Actor, RoomError
from app.server.rooms import scheduling as core
from app.server.rooms.permissions import may_see_scheduled
from app.server.rooms.scheduled_state import Invitee, Plan, ScheduledRoomState
from app.server.store.api import NoticeRecord, SchedulingStore

log = logging.getLogger(__name__)

# The longest the timer sleeps: how soon a plan made on another node of a
# cluster, or a notice queued there, is noticed here.
POLL = 5.0
# A notice waits this long for its person to connect; after that it is stale.
NOTICE_KEEP = 86400.0


class Schedules:
    def __init__(
        self, store: SchedulingStore, hub: RoomHub, clock: Callable[[], float], poll: float = POLL
    ) -> None:
        self._store = store
        self._hub = hub
        self._clock = clock
        self._poll = poll
        # Signed-in connections per user: where notices go.
        self._connections: dict[int, set[Attachment]] = {}
        self._wake = asyncio.Event()
        self._faults = RateLimitedLog(log)

    # -- connections ------------------------------------------------------------

    def signed_in(self, conn: Attachment) -> None:
        """A connection signed in: it gets the notices that waited for its user."""
        self._connections.setdefault(conn.user_id, set()).add(conn)
        self._wake.set()

    def signed_out(self, conn: Attachment, user_id: int) -> None:
        held = self._connections.get(user_id)
        if held is not None:
            held.discard(conn)
            if not held:
                del self._connections[user_id]

    # -- requests -----------------------------------------------------------------

    async def schedule(self, actor: Actor, req: ScheduleRoom) -> ScheduledRoom:
        plan = await self._plan(req)
        upcoming = await self._store.upcoming_scheduled()
        mine = sum(1 for state in upcoming if state.host_id == actor.user_id)
        state = core.schedule(new_schedule_id(), actor, plan, self._clock(), mine)
        await self._store.insert_scheduled(state)
        self._wake.set()
        return core.view(state, 0, False)

    async def edit(self, actor: Actor, req: EditScheduled) -> ScheduledRoom:
        state = await self._find(req.schedule_id, actor.user_id)
        plan = await self._plan(req)
        changed = core.edit(state, actor.user_id, plan, self._clock())
        await self._store_change(changed, "changed")
        return await self._view(changed, actor.user_id)

    async def cancel(self, actor: Actor, schedule_id: str) -> ScheduledRoom:
        state = await self._find(schedule_id, actor.user_id)
        cancelled = core.cancel(state, actor.user_id)
        await self._store_change(cancelled, "cancelled")
        return await self._view(cancelled, actor.user_id)

    async def start(self, client: Attachment, actor: Actor, schedule_id: str) -> RoomSnapshot:
        """Start now: a live room with the invited co-hosts and speakers in place."""
        state = await self._find(schedule_id, actor.user_id)
        core.check_start(state, actor.user_id)
        plan = state.plan
        room = await self._hub.create(
            client,
            actor,
            CreateRoom(title=plan.title, topic=plan.topic, invite_only=plan.invite_only),
            placed=core.invitee_roles(state),
        )
        live = core.started(state, room.room_id)
        if not await self._store.update_scheduled(live, "live", self._clock()):
            # Cancelled (or started) at the same moment elsewhere: the room is
            # live anyway, its host in it; the plan keeps the other change.
            log.warning("scheduled room %s changed while it was started", schedule_id)
        self._wake.set()
        return room

    async def upcoming(self, user_id: int) -> list[ScheduledRoom]:
        visible = [
            s for s in await self._store.upcoming_scheduled() if may_see_scheduled(s, user_id)
        ]
        counts, mine = await self._store.reminder_counts([s.schedule_id for s in visible], user_id)
        return [core.view(s, counts.get(s.schedule_id, 0), s.schedule_id in mine) for s in visible]

    async def set_reminder(self, actor: Actor, schedule_id: str, on: bool) -> ScheduledRoom:
        state = await self._find(schedule_id, actor.user_id)
        core.check_reminder(state, actor.user_id)
        await self._store.set_reminder(schedule_id, actor.user_id, on, self._clock())
        return await self._view(state, actor.user_id)

    async def _plan(self, req: ScheduleRoom | EditScheduled) -> Plan:
        invitees: list[Invitee] = []
        for names, role in ((req.cohosts, Role.COHOST), (req.speakers, Role.SPEAKER)):
            for name in names:
                user = await self._store.find_user(name)
                if user is None:
                    raise RoomError(ErrorCode.NO_SUCH_USER, f"nobody is called {name!r}")
                invitees.append(Invitee(user.user_id, user.username, role))
        return Plan(req.title, req.topic, req.starts_at, req.invite_only, tuple(invitees))

    async def _find(self, schedule_id: str, user_id: int) -> ScheduledRoomState:
        state = await self._store.find_scheduled(schedule_id)
        if state is None or not may_see_scheduled(state, user_id):
            raise RoomError(ErrorCode.SCHEDULE_NOT_FOUND, "no scheduled room has that id")
        return state

    async def _store_change(self, state: ScheduledRoomState, notice: ScheduleNoticeKind) -> None:
        if not await self._store.update_scheduled(state, notice, self._clock()):
            raise RoomError(
                ErrorCode.INVALID_STATE, "the scheduled room changed meanwhile; look again"
            )
        self._wake.set()

    async def _view(self, state: ScheduledRoomState, user_id: int) -> ScheduledRoom:
        counts, mine = await self._store.reminder_counts([state.schedule_id], user_id)
        return core.view(state, counts.get(state.schedule_id, 0), state.schedule_id in mine)

    # -- the timer ----------------------------------------------------------------

    async def run(self) -> None:
        while True:
            wait = self._poll
            try:
                wait = await self.step()
            except Exception:  # the clock of every plan: it must never stop
                self._faults.error(
                    "schedules", "the schedule timer failed; it goes on", exc_info=True
                )
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, wait))

    async def step(self) -> float:
        """Carry out what is due, deliver what is queued; how long until the next look."""
        now = self._clock()
        upcoming = await self._store.upcoming_scheduled()
        for state in upcoming:
            what = core.due(state, now)
            if what is None:
                continue
            try:
                await self._store.update_scheduled(core.after(state, what, now), what.value, now)
            except Exception:  # one plan that fails must not stop the others
                self._faults.error(
                    f"due {state.schedule_id}",
                    "scheduled room %s: could not carry out %s",
                    state.schedule_id,
                    what.value,
                    exc_info=True,
                )
        await self.deliver()
        after = self._clock()
        due_at = core.next_due(s for s in upcoming if core.due(s, now) is None)
        return self._poll if due_at is None else min(self._poll, due_at - after)

    async def deliver(self) -> int:
        """Hand every queued notice of the users connected here to them; how many."""
        now = self._clock()
        since = now - NOTICE_KEEP
        waiting = await self._store.pending_notice_users(since)
        here = sorted(waiting & self._connections.keys())
        if not here:
            return 0
        notices = await self._store.claim_notices(here, since, now)
        plans: dict[str, ScheduledRoomState | None] = {}
        for notice in notices:
            try:
                if notice.schedule_id not in plans:
                    plans[notice.schedule_id] = await self._store.find_scheduled(notice.schedule_id)
                state = plans[notice.schedule_id]
                if state is not None:
                    self._send(notice, state)
            except Exception:  # a notice that cannot be sent must not keep the others
                self._faults.error(
                    "notice", "could not deliver notice %d", notice.notice_id, exc_info=True
                )
        return len(notices)

    def _send(self, notice: NoticeRecord, state: ScheduledRoomState) -> None:
        kind: ScheduleNoticeKind = notice.kind  # type: ignore[assignment]  # stored by us
        frame = encode(ScheduleNotice(kind=kind, room=core.view(state, 0, True)))
        for conn in list(self._connections.get(notice.user_id, ())):
            conn.deliver(frame)


def new_schedule_id() -> str:
    """Random and URL-safe, never starting with '-' (a command line would read an option)."""
    while True:
        schedule_id = secrets.token_urlsafe(9)
        if not schedule_id.startswith("-"):
            return schedule_id
