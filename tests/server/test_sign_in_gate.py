"""A sign-in storm against a real PostgreSQL takes a few of the pool's
connections, never all of them, and what cannot wait is told `busy`."""

import asyncio
import time

import pytest

from app.protocol.errors import ErrorCode
from app.server.accounts import AccountError, Accounts, StoreGate
from app.server.store import open_store

pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"


async def test_a_resume_storm_leaves_the_pool_to_the_rooms(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    gate = StoreGate(concurrency=3, queue=20, wait=5.0)
    accounts = Accounts(store, time.time, store_gate=gate)
    try:
        signed = await accounts.register("storm", PASSWORD)
        pool = store.engine.pool
        most = 0
        stop = asyncio.Event()

        async def sample() -> None:
            nonlocal most
            while not stop.is_set():
                most = max(most, pool.checkedout())  # type: ignore[attr-defined]
                await asyncio.sleep(0)

        sampler = asyncio.create_task(sample())
        results = await asyncio.gather(
            *(accounts.resume(signed.token) for _ in range(200)), return_exceptions=True
        )
        # Meanwhile and after, a room's query finds a connection at once.
        assert await asyncio.wait_for(store.load_live_rooms(), 5) == []
        stop.set()
        await sampler
        codes = [r.code for r in results if isinstance(r, AccountError)]
        assert all(not isinstance(r, Exception) or isinstance(r, AccountError) for r in results)
        assert set(codes) == {ErrorCode.BUSY}
        # Three at once and twenty waiting got in; the rest were told to come back.
        assert len(results) - len(codes) == 23 and gate.refused == 177
        assert 1 <= most <= 3
        assert (await accounts.resume(signed.token)).user_id == signed.user_id
    finally:
        await store.close()
