"""Flood limits per connection and per account, on the `limits` library."""

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    per_connection: str = "30/second"
    per_account: str = "60/second"
    reactions: str = "10/10 seconds"
    logins: str = "10/minute"


class RateLimits:
    def __init__(self, config: RateLimitConfig) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_connection: RateLimitItem = parse(config.per_connection)
        self._per_account: RateLimitItem = parse(config.per_account)
        self._reactions: RateLimitItem = parse(config.reactions)
        self._logins: RateLimitItem = parse(config.logins)

    def allow_message(self, conn_id: int, user_id: int) -> bool:
        if not self._limiter.hit(self._per_connection, "conn", str(conn_id)):
            return False
        # An account's connections share one budget, so opening more sockets
        # does not multiply what one person can send.
        return user_id == 0 or self._limiter.hit(self._per_account, "user", str(user_id))

    def allow_reaction(self, user_id: int) -> bool:
        return bool(self._limiter.hit(self._reactions, "react", str(user_id)))

    def allow_login(self, username: str) -> bool:
        return bool(self._limiter.hit(self._logins, "login", username.casefold()))
