"""The flood limits' buckets: exact counts, nothing swept in the background."""

import asyncio
import threading

from app.server.http.ratelimit import RateLimitConfig, RateLimits


async def test_a_bucket_takes_its_burst_then_refills_at_its_rate() -> None:
    limits = RateLimits(RateLimitConfig(per_connection="30/second", per_account="1000/second"))
    loop = asyncio.get_running_loop()
    assert all(limits.allow_message(1, 7) for _ in range(30))
    emptied = loop.time()
    assert not limits.allow_message(1, 7)
    assert limits.allow_message(2, 8)  # another connection has its own bucket
    await asyncio.sleep(0.1)
    early = loop.time() - emptied
    taken = sum(limits.allow_message(1, 7) for _ in range(30))
    late = loop.time() - emptied
    # 30 a second: one more per 1/30 s since the bucket was emptied.
    assert min(30, int(early * 30)) <= taken <= min(30, int(late * 30) + 1)
    assert taken < 30 or early >= 1.0


async def test_many_connections_cost_no_sweep_of_every_key() -> None:
    # `limits`' memory storage sweeps every key it holds on a timer thread
    # every 10 ms after a hit; with a key per connection, that sweep held the
    # GIL for most of a 5,000-listener join storm. The buckets start no thread.
    limits = RateLimits(RateLimitConfig())
    await asyncio.sleep(0.05)  # the failure counters' own first timer has run out
    before = {t.ident for t in threading.enumerate()}
    for conn_id in range(1, 5001):
        assert limits.allow_message(conn_id, conn_id)
    started = [t for t in threading.enumerate() if t.ident not in before]
    assert started == []
    assert limits.tracked_keys() == 10_000
    for conn_id in range(1, 5001):
        limits.forget_connection(conn_id)
        limits.forget_user(conn_id)
    assert limits.tracked_keys() == 0
