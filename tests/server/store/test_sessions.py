"""Sessions: stored by token hash, found with their user, revoked in place."""

import pytest

from app.server.store.api import SessionRecord, StoreError
from app.server.store.sql import SqlStore

TOKEN_HASH = "ab" * 32  # sha256 hex, as the shell stores it


async def test_created_session_is_found_with_its_user(store: SqlStore) -> None:
    user_id = await store.create_user("Sari", "h", now=100.0)

    await store.create_session(user_id, TOKEN_HASH, created_at=100.0, expires_at=86_500.5)

    assert await store.find_session(TOKEN_HASH) == SessionRecord(
        user_id=user_id, username="Sari", expires_at=86_500.5, revoked=False
    )


async def test_unknown_session_is_none(store: SqlStore) -> None:
    assert await store.find_session(TOKEN_HASH) is None


async def test_revoked_session_is_found_as_revoked(store: SqlStore) -> None:
    user_id = await store.create_user("Sari", "h", now=100.0)
    await store.create_session(user_id, TOKEN_HASH, created_at=100.0, expires_at=200.0)

    await store.revoke_session(TOKEN_HASH, now=150.0)
    await store.revoke_session(TOKEN_HASH, now=160.0)  # twice is harmless

    found = await store.find_session(TOKEN_HASH)
    assert found is not None and found.revoked


async def test_revoking_one_session_leaves_the_others(store: SqlStore) -> None:
    user_id = await store.create_user("Sari", "h", now=100.0)
    other = "cd" * 32
    await store.create_session(user_id, TOKEN_HASH, created_at=100.0, expires_at=200.0)
    await store.create_session(user_id, other, created_at=100.0, expires_at=200.0)

    await store.revoke_session(TOKEN_HASH, now=150.0)

    found = await store.find_session(other)
    assert found is not None and not found.revoked


async def test_revoking_an_unknown_session_does_nothing(store: SqlStore) -> None:
    await store.revoke_session(TOKEN_HASH, now=150.0)

    assert await store.find_session(TOKEN_HASH) is None


async def test_session_for_an_unknown_user_is_a_store_error(store: SqlStore) -> None:
    # Foreign keys are on (SQLite needs a pragma for that).
    with pytest.raises(StoreError):
        await store.create_session(999, TOKEN_HASH, created_at=100.0, expires_at=200.0)


async def test_reused_token_hash_is_a_store_error(store: SqlStore) -> None:
    user_id = await store.create_user("Sari", "h", now=100.0)
    await store.create_session(user_id, TOKEN_HASH, created_at=100.0, expires_at=200.0)

    with pytest.raises(StoreError):
        await store.create_session(user_id, TOKEN_HASH, created_at=101.0, expires_at=300.0)

    found = await store.find_session(TOKEN_HASH)
    assert found is not None and found.expires_at == 200.0
