"""Lease renewals on a thread of their own, with a Redis connection of their own.

Renewed from the event loop, leases ran out whenever the loop was
overloaded (a sign-in storm, thousands of members coming back): the origin
was alive, but its room moved to another node, again and again (18 origins
for 5 kills in one benchmark run). A thread with a blocking connection
renews whatever the loop's backlog: it needs the GIL only for a moment each
round, and CPython makes the holder hand it over every switch interval
(5 ms), so a busy loop delays a renewal by milliseconds, not seconds.

Fencing is unchanged. The origin counts a lease valid until the time it
*sent* its last successful renewal plus `lease_ttl - lease_margin`; the
thread records that time on the lease itself (so a loop that wakes after a
long stall sees the truth at once) and tells the loop of every round. The
thread stops with the process: SIGSTOP stops it too, kill -9 ends it. And a
loop that has not run for `loop_stall_limit` stops the renewals, so that a
wedged process cannot keep its rooms for ever.

The node's registry heartbeat goes in the same rounds, for the same reason:
beaten from the loop, a live node dropped out of the registry under load,
and a takeover then counted the members connected through it as gone. The
loop still writes what the heartbeat says (the node's info); the thread
sends whatever it last wrote, and stops with the renewals when the loop is
wedged, so that a stuck node leaves the registry too.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from app.server.cluster import scripts
from app.server.cluster.config import ClusterConfig
from app.server.cluster.link import LINK_ERRORS

log = logging.getLogger(__name__)


class Renewable(Protocol):
    """What the thread needs of a lease: its script call, and a way to record
    a successful renewal (from the thread: a plain attribute write)."""

    @property
    def room_id(self) -> str: ...

    def renewal(self, ttl_ms: int) -> scripts.Call: ...

    def extend(self, sent_at: float) -> None: ...

    def revoke(self) -> None: ...


# The loop's side of a round: each lease with its result (or the exception
# Redis answered for it), and when the round was sent.
Settle = Callable[[Sequence[Renewable], Sequence[Any], float], None]


class Renewer:
    def __init__(
        self,
        config: ClusterConfig,
        loop: asyncio.AbstractEventLoop,
        settle: Settle,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._loop = loop
        self._settle = settle
        self._clock = clock
        self._ttl_ms = round(config.lease_ttl * 1000)
        # Replaced whole by the loop, read by the thread: no lock needed.
        self.leases: tuple[Renewable, ...] = ()
        # The registry's heartbeat, written by the loop (registry.py), sent here.
        self.heartbeat: scripts.Call | None = None
        self._beaten_at = -float("inf")
        self._loop_seen = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stalled = False
        self.rounds = 0  # rounds sent, for tests

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._loop_seen = self._clock()
        self._thread = threading.Thread(target=self._run, name="lease renewals", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (at once: a round in flight is not recorded)."""
        self._stop.set()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def loop_alive(self) -> None:
        """Called from the event loop, often: it still runs."""
        self._loop_seen = self._clock()

    # -- the thread ---------------------------------------------------------------

    def _run(self) -> None:
        client: Redis = Redis.from_url(
            self._config.redis_url,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            # An answer later than the lease is of no use: give up and retry.
            socket_timeout=min(self._config.command_timeout, self._config.lease_ttl),
            socket_connect_timeout=min(self._config.command_timeout, self._config.lease_ttl),
        )
        failing = False
        try:
            while not self._stop.wait(self._config.renew_interval):
                try:
                    self._round(client)
                except LINK_ERRORS as exc:
                    # The watchdogs suspend the leases when their time is up.
                    if not failing:
                        log.warning("renewing leases: redis unreachable: %s", exc)
                    failing = True
                    continue
                except Exception:
                    log.exception("renewing leases failed")
                    continue
                if failing:
                    log.warning("renewing leases again")
                failing = False
        finally:
            client.close()

    def _round(self, client: Redis) -> None:
        leases = self.leases
        now = self._clock()
        # Due a little early rather than late: rounds come every renew_interval.
        beat_due = now - self._beaten_at >= self._config.heartbeat_interval - (
            self._config.renew_interval / 2
        )
        heartbeat = self.heartbeat if beat_due else None
        if not leases and heartbeat is None:
            return
        stalled = now - self._loop_seen > self._config.loop_stall_limit
        if stalled != self._stalled:
            self._stalled = stalled
            if stalled:
                log.error(
                    "the event loop has not run for %.0f s: not renewing %d lease(s)"
                    " nor the node's heartbeat",
                    self._config.loop_stall_limit,
                    len(leases),
                )
        if stalled:
            return
        calls = [lease.renewal(self._ttl_ms) for lease in leases]
        if heartbeat is not None:
            calls.append(heartbeat)
        sent_at = self._clock()
        pipe = client.pipeline(transaction=False)
        for call in calls:
            pipe.eval(call.script, len(call.keys), *call.keys, *call.args)
        results: list[Any] = pipe.execute(raise_on_error=False)
        self.rounds += 1
        if heartbeat is not None and not isinstance(results.pop(), Exception):
            self._beaten_at = sent_at
        if self._stop.is_set() or not leases:
            return  # stopped meanwhile: the leases are being given up
        for lease, result in zip(leases, results, strict=True):
            if isinstance(result, Exception):
                continue
            if int(result[0]) in (1, 2):
                lease.extend(sent_at)
            else:
                lease.revoke()  # not active from now on; the loop is told below
        try:
            self._loop.call_soon_threadsafe(self._settle, leases, results, sent_at)
        except RuntimeError:
            self._stop.set()  # the loop is closed: the process is ending
