"""The node's connection to Redis: one client, its health, and reconnecting.

Every command goes through `call`. A connection error or timeout marks the
link down (the node is then `degraded` in /healthz) and fails fast until a
supervisor, waiting with exponential backoff and full jitter between
attempts, gets a PING through; then the `on_up` callbacks run (renew the
leases, rewrite the mirror, beat the registry), while the subscriber
reconnects on its own.

The client retries a command once, at once, after a connection error: a
pooled connection that Redis closed (it restarted) fails on first use
without Redis being away. Every script is safe to run twice (a repeated
event is dropped by seq, a repeated request answered from the origin's
recent replies, the rest are idempotent). Timeouts are not retried, so a
hung Redis is seen within one command timeout.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.server.cluster.api import Health
from app.server.cluster.backoff import Backoff
from app.server.cluster.config import ClusterConfig

log = logging.getLogger(__name__)
T = TypeVar("T")
# Connections to Redis at most; more concurrent commands wait for one.
# redis-py's own pool refuses the 101st at once ("Too many connections"),
# which a join storm forwarded to an origin reached, and which is not Redis
# being away.
POOL_SIZE = 64
# What the blocking pool raises when no connection came free within its wait.
POOL_EXHAUSTED = "No connection available."
# What "Redis is unreachable" looks like from the client.
LINK_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisDown(Exception):
    """Redis cannot be reached now; the link is reconnecting."""


class RedisLink:
    def __init__(
        self,
        config: ClusterConfig,
        backoff: Backoff | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client: Redis = Redis.from_pool(
            BlockingConnectionPool.from_url(
                config.redis_url,
                max_connections=POOL_SIZE,
                # Waiting for a free connection is queueing, bounded by the forward timeout.
                timeout=config.forward_timeout,
                retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
                socket_timeout=config.command_timeout,
                socket_connect_timeout=config.command_timeout,
            )
        )
        # Lease renewals on a connection of their own: queued behind a burst
        # of other commands for the pool, a renewal could come too late.
        self.renewals: Redis = Redis.from_url(
            config.redis_url,
            max_connections=4,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            socket_timeout=config.command_timeout,
            socket_connect_timeout=config.command_timeout,
        )
        self._backoff = backoff or Backoff(config.backoff_base, config.backoff_cap)
        self._wall = wall_clock
        self._down_since: float | None = None
        self._up = asyncio.Event()
        self._down = asyncio.Event()
        self._on_up: list[Callable[[], Awaitable[None]]] = []
        self.reconnects = 0  # times the link came back, for tests and metrics

    @property
    def up(self) -> bool:
        return self._up.is_set()

    def health(self) -> Health:
        return Health(ok=self.up, since=self._down_since)

    def on_up(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` each time the link comes back after being down."""
        self._on_up.append(callback)

    async def connect(self) -> bool:
        """The first contact; a Redis that is not there yet leaves the link down."""
        try:
            await self.client.ping()
        except LINK_ERRORS as exc:
            self.failed(exc)
            return False
        self._mark_up()
        return True

    async def call(self, command: Callable[[Redis], Awaitable[T]], renewal: bool = False) -> T:
        """Run one command (or pipeline); RedisDown if Redis cannot be reached."""
        if not self.up:
            raise RedisDown(self.health().describe())
        try:
            return await command(self.renewals if renewal else self.client)
        except RedisConnectionError as exc:
            if str(exc) == POOL_EXHAUSTED:
                # Every pooled connection busy past the wait: this node's own
                # backlog, not Redis being away. This command fails; the link stays up.
                raise RedisDown("every connection to Redis is busy") from exc
            self.failed(exc)
            raise RedisDown(str(exc)) from exc
        except LINK_ERRORS as exc:
            self.failed(exc)
            raise RedisDown(str(exc)) from exc

    def failed(self, exc: BaseException) -> None:
        if self._down_since is None:
            self._down_since = self._wall()
            log.warning("redis unreachable: %s", exc)
        self._up.clear()
        self._down.set()

    async def wait_up(self) -> None:
        await self._up.wait()

    async def run(self) -> None:
        """The supervisor: while down, try again with backoff; when back, resync."""
        while True:
            await self._down.wait()
            # Drop every pooled connection: after a restart each would fail once.
            with contextlib.suppress(*LINK_ERRORS):
                await self.client.connection_pool.disconnect()
                await self.renewals.connection_pool.disconnect()
            attempt = 0
            while True:
                await asyncio.sleep(self._backoff.delay(attempt))
                attempt += 1
                try:
                    await self.client.ping()
                except LINK_ERRORS:
                    continue
                break
            log.warning(
                "redis reachable again after %.1f s", self._wall() - (self._down_since or 0)
            )
            self.reconnects += 1
            self._mark_up()
            for callback in self._on_up:
                try:
                    await callback()
                except RedisDown:
                    break  # down again already; the next round runs them all
                except Exception:
                    log.exception("resync after redis came back failed")

    async def close(self) -> None:
        await self.client.aclose()
        await self.renewals.aclose()

    def _mark_up(self) -> None:
        self._down_since = None
        self._down.clear()
        self._up.set()
