"""Flood limits per connection, per account and per source address, on the `limits` library.

Memory stays bounded by what is live. The limits per connection, per
account and on reactions are leaky buckets (aiolimiter), one per key: a
bucket holding 30 a second takes a burst of 30, then one every 1/30 s.
They are not kept in `limits`' memory storage, which sweeps every key it
holds on a thread every 10 ms while hits come: with a key per connection
and per account, a 5,000-listener join storm spent half the server's
samples in that sweep, holding the GIL while the rooms waited. A
connection's bucket goes when it closes, an account's when its last
connection does. The failure counts of
sign-ins are keyed by address and name, which a stranger chooses freely:
they are sliding window counters, which expire on their own two windows
after their last use (and may let one attempt more through at the turn of
a window).

Sign-in attempts are limited by their failures, and never per name alone: a
limit per name lets anyone lock its owner out with a few wrong passwords.
Failures are counted per source address (random names do not escape it)
and per name from that source (a back-off on guessing one account that a
stranger elsewhere cannot impose on its owner). The CPU that password
hashing may take overall is bounded by the accounts' hashing gate
(`app/server/accounts.py`), so that many sources together cannot starve the
rooms either.
"""

from dataclasses import dataclass

from aiolimiter import AsyncLimiter
from limits import RateLimitItem, parse, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    per_connection: str = "30/second"
    per_account: str = "60/second"
    reactions: str = "10/10 seconds"
    # Failed sign-ins (wrong password, unknown name, name taken).
    failures_per_source: str = "30/minute"
    # Several windows: the back-off grows for a name that keeps failing.
    failures_per_name: str = "5/minute;20/hour"
    # Password hashes computed at once, and how many more may wait for one;
    # past that a sign-in is refused (rate_limited) rather than queued.
    hash_concurrency: int = 1
    hash_queue: int = 16


class RateLimits:
    def __init__(self, config: RateLimitConfig) -> None:
        self._expiring_storage = MemoryStorage()
        self._connections: dict[int, AsyncLimiter] = {}
        self._accounts: dict[int, AsyncLimiter] = {}
        self._reacting: dict[int, AsyncLimiter] = {}
        self._failures = SlidingWindowCounterRateLimiter(self._expiring_storage)
        self._per_connection: RateLimitItem = parse(config.per_connection)
        self._per_account: RateLimitItem = parse(config.per_account)
        self._reactions: RateLimitItem = parse(config.reactions)
        self._per_source: RateLimitItem = parse(config.failures_per_source)
        self._per_name: list[RateLimitItem] = parse_many(config.failures_per_name)

    def allow_message(self, conn_id: int, user_id: int) -> bool:
        if not _take(self._connections, conn_id, self._per_connection):
            return False
        # An account's connections share one budget, so opening more sockets
        # does not multiply what one person can send.
        return user_id == 0 or _take(self._accounts, user_id, self._per_account)

    def allow_reaction(self, user_id: int) -> bool:
        return _take(self._reacting, user_id, self._reactions)

    def forget_connection(self, conn_id: int) -> None:
        self._connections.pop(conn_id, None)

    def forget_user(self, user_id: int) -> None:
        """The account's last connection closed."""
        self._accounts.pop(user_id, None)
        self._reacting.pop(user_id, None)

    def allow_sign_in(self, source: str, username: str) -> bool:
        """Whether a register or login from `source` may be tried now."""
        if not self._failures.test(self._per_source, "fail-source", source):
            return False
        name = username.casefold()
        return all(self._failures.test(item, "fail-name", source, name) for item in self._per_name)

    def sign_in_failed(self, source: str, username: str) -> None:
        self._failures.hit(self._per_source, "fail-source", source)
        name = username.casefold()
        for item in self._per_name:
            self._failures.hit(item, "fail-name", source, name)

    def signed_in(self, source: str, username: str) -> None:
        """The right password ends the back-off on that name from that source."""
        name = username.casefold()
        for item in self._per_name:
            self._failures.clear(item, "fail-name", source, name)

    def tracked_keys(self) -> int:
        """How many keys the storages hold now (tests check that they do not pile up)."""
        storage = self._expiring_storage
        buckets = len(self._connections) + len(self._accounts) + len(self._reacting)
        return buckets + len(storage.storage) + len(storage.events)


def _take(buckets: dict[int, AsyncLimiter], key: int, item: RateLimitItem) -> bool:
    """Take one from `key`'s bucket if it has room; never waits."""
    bucket = buckets.get(key)
    if bucket is None:
        bucket = buckets[key] = AsyncLimiter(item.amount, item.get_expiry())
    if not bucket.has_capacity():
        return False
    # With room in the bucket, acquire() takes it without suspending: step
    # the coroutine once by hand instead of awaiting it from this sync path.
    acquiring = bucket.acquire()
    try:
        acquiring.send(None)
    except StopIteration:
        return True
    acquiring.close()  # cannot happen on one thread (room was just checked)
    return False
