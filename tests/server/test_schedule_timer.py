"""The scheduled-rooms shell's timer on a real store, with the clock in the test's hand:
the start reminder once, missed after the grace time, one failing plan alone."""

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from app.protocol import decode_server
from app.protocol.replies import ScheduleNotice
from app.protocol.requests import ScheduleRoom
from app.server.hub import RoomHub
from app.server.rooms import Actor
from app.server.rooms.scheduled_state import ScheduledRoomState
from app.server.rooms.scheduling import MISSED_AFTER
from app.server.schedules import Schedules
from app.server.store.sql import SqlStore, open_store

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Inbox:
    """A signed-in connection as the shell sees it: it keeps what it was sent."""

    room_id: str | None = None

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.notices: list[tuple[str, str]] = []

    def deliver(self, frame: bytes) -> None:
        message = decode_server(frame)
        assert isinstance(message, ScheduleNotice)
        self.notices.append((message.kind, message.room.title))


class FailingFor:
    """The real store, except that updating one plan fails (a bad row, a fault)."""

    def __init__(self, store: SqlStore, schedule_id: str) -> None:
        self._store = store
        self.schedule_id = schedule_id

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def update_scheduled(
        self, state: ScheduledRoomState, notice: str | None, now: float
    ) -> bool:
        if state.schedule_id == self.schedule_id:
            raise RuntimeError("this plan cannot be written")
        return await self._store.update_scheduled(state, notice, now)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = await open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield opened
    await opened.close()


async def _users(store: SqlStore, *names: str) -> list[Actor]:
    return [Actor(await store.create_user(name, "x", T0), name) for name in names]


def _schedules(store: object, clock: Clock) -> Schedules:
    hub = RoomHub(store, clock, 120.0, "127.0.0.1:1")  # type: ignore[arg-type]
    return Schedules(store, hub, clock)  # type: ignore[arg-type]


async def test_the_start_reminder_goes_once_and_a_room_never_started_is_missed(
    store: SqlStore,
) -> None:
    clock = Clock()
    schedules = _schedules(store, clock)
    host, fan = await _users(store, "hana", "fajar")
    planned = await schedules.schedule(host, ScheduleRoom(title="Talk", starts_at=T0 + 600))
    await schedules.set_reminder(fan, planned.schedule_id, True)
    inbox = Inbox(fan.user_id)
    schedules.signed_in(inbox)

    assert 0 < await schedules.step() <= 5.0
    clock.now = T0 + 599
    assert await schedules.step() == pytest.approx(1.0)  # wakes for the start, not later
    assert inbox.notices == []
    clock.now = T0 + 600
    await schedules.step()
    await schedules.step()
    assert inbox.notices == [("starting", "Talk")]
    clock.now = T0 + 600 + MISSED_AFTER - 1
    await schedules.step()
    assert inbox.notices == [("starting", "Talk")]
    clock.now = T0 + 600 + MISSED_AFTER
    await schedules.step()
    await schedules.step()
    assert inbox.notices == [("starting", "Talk"), ("missed", "Talk")]
    assert await schedules.upcoming(fan.user_id) == []


async def test_one_plan_that_fails_does_not_stop_the_others(store: SqlStore) -> None:
    clock = Clock()
    schedules = _schedules(store, clock)
    host, fan = await _users(store, "hana", "fajar")
    plans = [
        await schedules.schedule(host, ScheduleRoom(title=title, starts_at=T0 + 60))
        for title in ("First", "Broken", "Third")
    ]
    for plan in plans:
        await schedules.set_reminder(fan, plan.schedule_id, True)
    failing = _schedules(FailingFor(store, plans[1].schedule_id), clock)
    inbox = Inbox(fan.user_id)
    failing.signed_in(inbox)
    clock.now = T0 + 60
    await failing.step()
    assert sorted(inbox.notices) == [("starting", "First"), ("starting", "Third")]
    # The broken one is tried again on the next round; the others are not sent again.
    await failing.step()
    assert len(inbox.notices) == 2


async def test_a_notice_that_cannot_be_sent_does_not_keep_the_others(store: SqlStore) -> None:
    clock = Clock()
    schedules = _schedules(store, clock)
    host, fan, other = await _users(store, "hana", "fajar", "gita")
    planned = await schedules.schedule(host, ScheduleRoom(title="Talk", starts_at=T0 + 60))
    for person in (fan, other):
        await schedules.set_reminder(person, planned.schedule_id, True)

    class Broken(Inbox):
        def deliver(self, frame: bytes) -> None:
            raise msgspec.ValidationError("the socket is gone")

    good = Inbox(other.user_id)
    schedules.signed_in(Broken(fan.user_id))
    schedules.signed_in(good)
    clock.now = T0 + 60
    await schedules.step()
    assert good.notices == [("starting", "Talk")]
