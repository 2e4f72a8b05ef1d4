"""Consent freshness (RFC 7675) for every peer of a media server on one timer wheel.

aioice checks consent with a task per connection that wakes every ~5 s,
each check a STUN transaction with its own future and timer. With
thousands of listeners that is thousands of tasks; here one task turns a
wheel of ``slots`` buckets every ``interval / slots`` seconds and sends the
checks of one bucket (aioice builds each request, so it is the same Binding
request aioice would send). A response (aioice hands it to us by
transaction id) marks the peer fresh; a check still unanswered when its
peer comes round again counts as a failure, and ``failures`` in a row
(30 s, as aioice) close the peer's ICE connection - which closes its DTLS
transport and detaches its sink, exactly as aioice's own expiry would.
On the shared socket a success response is verified without aioice's
parsing (``CheckedPeer.take_response``, app.media.server.udp_mux).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aioice import stun

from app.media import aiortc_hooks as hooks
from app.media.server.consent_answer import signed_with

logger = logging.getLogger(__name__)


@dataclass
class ConsentStats:
    checks: int = 0
    answered: int = 0
    missed: int = 0
    expired: int = 0


@dataclass(eq=False)
class CheckedPeer:
    """One connection on the wheel; its waiting check's response comes here."""

    connection: Any
    slot: int
    stats: ConsentStats
    failures: int = 0
    waiting: hooks.ConsentRequest | None = None
    closing: bool = False

    def response_received(self, message: stun.Message, addr: tuple[str, int]) -> None:
        request = self.waiting
        if request is None or not message.check_message_integrity(request.key):
            return  # not signed with the peer's password: ignored, as aioice does
        hooks.forget_response(request.protocol, request.transaction_id)
        self.waiting = None
        self.stats.answered += 1
        if message.message_class == stun.Class.RESPONSE:
            self.failures = 0
        else:
            self.failures += 1

    def take_response(self, data: bytes) -> bool:
        """``data`` (a STUN success response) answers the waiting check and is signed
        with the peer's password: the peer is fresh. False: leave it to aioice."""
        request = self.waiting
        if request is None or data[8:20] != request.transaction_id:
            return False
        if not signed_with(data, request.key):
            return False
        hooks.forget_response(request.protocol, request.transaction_id)
        self.waiting = None
        self.stats.answered += 1
        self.failures = 0
        return True


@dataclass
class ConsentWheel:
    interval: float = 5.0
    slots: int = 50
    failures: int = 6
    stats: ConsentStats = field(default_factory=ConsentStats)

    def __post_init__(self) -> None:
        self._buckets: list[list[CheckedPeer]] = [[] for _ in range(self.slots)]
        self._peers: dict[int, CheckedPeer] = {}
        self._next_slot = 0
        self._turn = 0
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self.on_expired: Callable[[Any], None] | None = None

    def __len__(self) -> int:
        return len(self._peers)

    def add(self, connection: Any) -> None:
        """Take over consent checks of an ICE connection that is connected."""
        if id(connection) in self._peers:
            return
        hooks.stop_consent_loop(connection)
        peer = CheckedPeer(connection, self._next_slot, self.stats)
        self._next_slot = (self._next_slot + 1) % self.slots
        self._peers[id(connection)] = peer
        self._buckets[peer.slot].append(peer)
        self.start()

    def remove(self, connection: Any) -> None:
        peer = self._peers.pop(id(connection), None)
        if peer is None:
            return
        bucket = self._buckets[peer.slot]
        with contextlib.suppress(ValueError):
            bucket.remove(peer)
        if peer.waiting is not None:
            hooks.forget_response(peer.waiting.protocol, peer.waiting.transaction_id)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for closing in list(self._closing):
            with contextlib.suppress(Exception):
                await closing

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        step = self.interval / self.slots
        deadline = loop.time()
        while True:
            deadline += step
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            try:
                self.turn()
            except Exception:  # never let one peer's trouble stop the wheel
                logger.exception("consent wheel turn failed")

    def turn(self) -> None:
        """Check the peers of the next bucket (the task calls this every step)."""
        bucket = self._buckets[self._turn]
        self._turn = (self._turn + 1) % self.slots
        for peer in list(bucket):
            self._check(peer)

    def _check(self, peer: CheckedPeer) -> None:
        if peer.closing:
            return
        if peer.waiting is not None:  # no answer since the last round
            self.stats.missed += 1
            peer.failures += 1
            hooks.forget_response(peer.waiting.protocol, peer.waiting.transaction_id)
            peer.waiting = None
        if peer.failures >= self.failures:
            self._expire(peer)
            return
        request = hooks.consent_request(peer.connection)
        if request is None:
            return
        peer.waiting = request
        hooks.expect_response(request.protocol, request.transaction_id, peer)
        request.protocol.transport.sendto(request.data, request.addr)
        self.stats.checks += 1

    def _expire(self, peer: CheckedPeer) -> None:
        logger.info("consent to send expired for %r", peer.connection)
        self.stats.expired += 1
        peer.closing = True
        self.remove(peer.connection)
        if self.on_expired is not None:
            self.on_expired(peer.connection)
        task = asyncio.get_running_loop().create_task(peer.connection.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
