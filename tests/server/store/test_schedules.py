"""Scheduled rooms in the store, on SQLite and PostgreSQL: round trips, the
version check, and notices that are claimed once even by two stores at once."""

import asyncio
import dataclasses

from app.protocol.model import Role
from app.server.rooms import Actor
from app.server.rooms import scheduling as core
from app.server.rooms.scheduled_state import Invitee, Plan, ScheduledRoomState
from app.server.store.sql import SqlStore, open_store

NOW = 1_800_000_000.0


def plan_of(
    schedule_id: str = "s1", host: int = 1, starts_at: float = NOW + 60
) -> ScheduledRoomState:
    invitees = (Invitee(2, "citra", Role.COHOST), Invitee(3, "dewi", Role.SPEAKER))
    plan = Plan("Weekly talk", "the news", starts_at, True, invitees)
    return core.schedule(schedule_id, Actor(host, f"user{host}"), plan, NOW, 0)


async def test_a_plan_round_trips_with_its_invitees_in_order(store: SqlStore) -> None:
    state = plan_of()
    await store.insert_scheduled(state)
    assert await store.find_scheduled("s1") == state
    assert await store.find_scheduled("nope") is None
    assert await store.upcoming_scheduled() == [state]


async def test_upcoming_lists_only_plans_waiting_for_their_start_soonest_first(
    store: SqlStore,
) -> None:
    later, sooner, gone = plan_of("a", starts_at=NOW + 90), plan_of("b"), plan_of("c")
    for state in (later, sooner, gone):
        await store.insert_scheduled(state)
    assert await store.update_scheduled(core.cancel(gone, 1), "cancelled", NOW)
    assert [s.schedule_id for s in await store.upcoming_scheduled()] == ["b", "a"]


async def test_an_update_from_a_stale_version_writes_nothing(store: SqlStore) -> None:
    state = plan_of()
    await store.insert_scheduled(state)
    await store.set_reminder("s1", 7, True, NOW)
    edited = core.edit(state, 1, dataclasses.replace(state.plan, title="New", invitees=()), NOW)
    assert await store.update_scheduled(edited, "changed", NOW)
    # A second change made from the same old version (another node, another request) loses.
    assert not await store.update_scheduled(core.cancel(state, 1), "cancelled", NOW)
    found = await store.find_scheduled("s1")
    assert found == edited and found is not None and found.plan.invitees == ()
    notices = await store.claim_notices([7], NOW - 1, NOW)
    assert [n.kind for n in notices] == ["changed"]


async def test_reminders_count_per_plan_and_say_whose_they_are(store: SqlStore) -> None:
    for schedule_id in ("a", "b"):
        await store.insert_scheduled(plan_of(schedule_id))
    for user_id in (5, 6, 7):
        await store.set_reminder("a", user_id, True, NOW)
    await store.set_reminder("a", 5, True, NOW)  # again: still one
    await store.set_reminder("b", 6, True, NOW)
    await store.set_reminder("a", 7, False, NOW)
    assert await store.reminder_counts(["a", "b"], 5) == ({"a": 2, "b": 1}, {"a"})
    assert await store.reminder_counts(["a", "b"], 7) == ({"a": 2, "b": 1}, set())


async def test_a_notice_is_queued_for_each_reminded_person_and_claimed_once(
    store: SqlStore,
) -> None:
    state = plan_of()
    await store.insert_scheduled(state)
    for user_id in (5, 6):
        await store.set_reminder("s1", user_id, True, NOW)
    reminded = core.after(state, core.Due.REMIND, NOW + 60)
    assert await store.update_scheduled(reminded, "starting", NOW + 60)
    assert await store.pending_notice_users(NOW) == {5, 6}
    first = await store.claim_notices([5], NOW, NOW + 61)
    assert [(n.user_id, n.kind, n.schedule_id) for n in first] == [(5, "starting", "s1")]
    assert await store.claim_notices([5], NOW, NOW + 62) == []
    assert await store.pending_notice_users(NOW) == {6}
    # A notice older than `since` is stale: never delivered.
    assert await store.claim_notices([6], NOW + 100, NOW + 200) == []


async def test_two_stores_on_one_database_claim_each_notice_once(db_url: str) -> None:
    """Two cluster nodes: each notice goes out through exactly one of them."""
    a, b = await open_store(db_url), await open_store(db_url)
    try:
        state = plan_of()
        await a.insert_scheduled(state)
        users = list(range(100, 140))
        for user_id in users:
            await a.set_reminder("s1", user_id, True, NOW)
        reminded = core.after(state, core.Due.REMIND, NOW + 60)
        # Both nodes find the reminder due at once; only one queues it.
        won = await asyncio.gather(
            a.update_scheduled(reminded, "starting", NOW + 60),
            b.update_scheduled(reminded, "starting", NOW + 60),
        )
        assert sorted(won) == [False, True]
        claims = await asyncio.gather(
            *(store.claim_notices(users, NOW, NOW + 61) for store in (a, b, a, b))
        )
        delivered = sorted(n.user_id for claim in claims for n in claim)
        assert delivered == users
    finally:
        await a.close()
        await b.close()
