"""Flood limits per connection, per account and per source address, on the `limits` library.

Memory stays bounded by what is live. The limits per connection and per
account use exact moving windows, whose keys the storage would keep for
ever (one list per key, never deleted: memory grew with every connection id
and login name ever seen); so a connection's key is cleared when it closes,
and an account's when its last connection does. The failure counts of
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

from limits import RateLimitItem, parse, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter


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
        self._exact_storage = MemoryStorage()
        self._expiring_storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._exact_storage)
        self._failures = SlidingWindowCounterRateLimiter(self._expiring_storage)
        self._per_connection: RateLimitItem = parse(config.per_connection)
        self._per_account: RateLimitItem = parse(config.per_account)
        self._reactions: RateLimitItem = parse(config.reactions)
        self._per_source: RateLimitItem = parse(config.failures_per_source)
        self._per_name: list[RateLimitItem] = parse_many(config.failures_per_name)

    def allow_message(self, conn_id: int, user_id: int) -> bool:
        if not self._limiter.hit(self._per_connection, "conn", str(conn_id)):
            return False
        # An account's connections share one budget, so opening more sockets
        # does not multiply what one person can send.
        return user_id == 0 or self._limiter.hit(self._per_account, "user", str(user_id))

    def allow_reaction(self, user_id: int) -> bool:
        return bool(self._limiter.hit(self._reactions, "react", str(user_id)))

    def forget_connection(self, conn_id: int) -> None:
        self._limiter.clear(self._per_connection, "conn", str(conn_id))

    def forget_user(self, user_id: int) -> None:
        """The account's last connection closed."""
        self._limiter.clear(self._per_account, "user", str(user_id))
        self._limiter.clear(self._reactions, "react", str(user_id))

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
        return sum(
            len(storage.storage) + len(storage.events)
            for storage in (self._exact_storage, self._expiring_storage)
        )
