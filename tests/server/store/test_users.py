"""Users: created once per case-folded name, found whatever the case."""

import asyncio

import pytest

from app.server.store.api import UsernameTaken
from app.server.store.sql import SqlStore


async def test_created_user_is_found_with_its_hash(store: SqlStore) -> None:
    user_id = await store.create_user("Sari", "hash-1", now=100.0)

    found = await store.find_user("Sari")

    assert found is not None
    assert (found.user_id, found.username, found.password_hash) == (user_id, "Sari", "hash-1")


async def test_lookup_ignores_case_and_keeps_the_spelling_given_at_signup(store: SqlStore) -> None:
    user_id = await store.create_user("Straße", "h", now=100.0)

    found = await store.find_user("STRASSE")

    assert found is not None
    assert (found.user_id, found.username) == (user_id, "Straße")


async def test_unknown_user_is_none(store: SqlStore) -> None:
    assert await store.find_user("nobody") is None


@pytest.mark.parametrize("duplicate", ["sari", "SARI", "Sari"])
async def test_case_insensitive_duplicate_is_taken(store: SqlStore, duplicate: str) -> None:
    await store.create_user("Sari", "h", now=100.0)

    with pytest.raises(UsernameTaken):
        await store.create_user(duplicate, "other", now=101.0)

    found = await store.find_user(duplicate)
    assert found is not None and found.password_hash == "h"


async def test_store_keeps_working_after_a_taken_name(store: SqlStore) -> None:
    # On PostgreSQL the failed INSERT aborts its transaction; it must not leak
    # into the next call on the same pooled connection.
    await store.create_user("Sari", "h", now=100.0)
    with pytest.raises(UsernameTaken):
        await store.create_user("sari", "h", now=100.0)

    assert await store.create_user("Budi", "h", now=100.0) > 0


async def test_ids_are_distinct(store: SqlStore) -> None:
    ids = [await store.create_user(f"user{i}", "h", now=100.0) for i in range(3)]

    assert len(set(ids)) == 3


async def test_concurrent_signups_for_one_name_admit_exactly_one(store: SqlStore) -> None:
    results = await asyncio.gather(
        *(store.create_user("RANI" if i % 2 else "rani", "h", 1.0) for i in range(8)),
        return_exceptions=True,
    )

    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, UsernameTaken) for r in results if not isinstance(r, int))


async def test_set_password_hash_replaces_it(store: SqlStore) -> None:
    user_id = await store.create_user("Sari", "old", now=100.0)

    await store.set_password_hash(user_id, "new")

    found = await store.find_user("sari")
    assert found is not None and found.password_hash == "new"
