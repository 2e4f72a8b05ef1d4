"""The origin's writes, in the order they were made, batched into pipelines.

A room's events must reach Redis in seq order, and a forwarded request's
reply after the events it caused (a node then delivers the events before
it answers its member, as a single process does). One queue for the whole
node, drained by one task into one pipeline at a time, keeps that order;
whatever queued while a round trip was in flight goes in the next one, so
a burst of events costs a few round trips, not one each.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from app.server.cluster import scripts
from app.server.cluster.api import Fenced, Outcome
from app.server.cluster.link import LINK_ERRORS, RedisDown, RedisLink

log = logging.getLogger(__name__)
_BATCH = 512
REFUSED = -1  # what every fenced script answers when the lease is not the caller's
# ... and when the lease key is gone: not fenced (nobody else may hold it yet);
# the renewal decides, so the write counts as unsent.
MISSING = -2


@dataclass(slots=True)
class Write:
    room_id: str
    call: scripts.Call
    future: "asyncio.Future[Outcome]"
    fenced: bool = True  # a REFUSED answer means the lease is gone


class Writer:
    def __init__(
        self,
        link: RedisLink,
        on_fenced: Callable[[str], None],
        on_unsent: Callable[[str], None],
    ) -> None:
        self._link = link
        self._on_fenced = on_fenced
        self._on_unsent = on_unsent
        self._queue: list[Write] = []
        self._wake = asyncio.Event()
        self._sending = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.round_trips = 0

    def submit(
        self, room_id: str, call: scripts.Call, *, fenced: bool = True
    ) -> "asyncio.Future[Outcome]":
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append(Write(room_id, call, future, fenced))
        self._idle.clear()
        self._wake.set()
        return future

    @property
    def idle(self) -> bool:
        return not self._queue and not self._sending

    async def drained(self) -> None:
        """Returns once everything submitted so far has been sent (or failed)."""
        await self._idle.wait()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:_BATCH], self._queue[_BATCH:]
                self._sending = True
                try:
                    await self._send(batch)
                finally:
                    self._sending = False
            self._idle.set()

    async def _send(self, batch: Sequence[Write]) -> None:
        calls = [w.call for w in batch]
        try:
            self.round_trips += 1
            results = await self._link.call(lambda client: scripts.run_batch(client, calls))
        except RedisDown:
            for write in batch:
                self._unsent(write)
            return
        except RedisError as exc:  # not the link: a bug in a script or its arguments
            log.error("cluster write batch failed: %s", exc)
            for write in batch:
                _settle(write.future, exc=exc)
            return
        for write, result in zip(batch, results, strict=True):
            self._settle(write, result)

    def _settle(self, write: Write, result: Any) -> None:
        if isinstance(result, LINK_ERRORS):
            self._unsent(write)
        elif isinstance(result, Exception):
            log.error("cluster write for room %s failed: %s", write.room_id, result)
            _settle(write.future, exc=result)
        elif write.fenced and result == MISSING:
            self._unsent(write)
        elif write.fenced and result == REFUSED:
            _settle(write.future, exc=Fenced(f"room {write.room_id}: this node's lease is gone"))
            self._on_fenced(write.room_id)
        else:
            _settle(write.future, Outcome.DONE)

    def _unsent(self, write: Write) -> None:
        _settle(write.future, Outcome.UNSENT)
        self._on_unsent(write.room_id)


def _settle(
    future: "asyncio.Future[Outcome]", outcome: Outcome | None = None, exc: Exception | None = None
) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
        # Callers may drop the future (a fire-and-forget publish); the owner
        # is told through on_fenced, so an unretrieved exception is not news.
        future.add_done_callback(_consume)
    else:
        assert outcome is not None
        future.set_result(outcome)


def _consume(future: "asyncio.Future[Outcome]") -> None:
    if not future.cancelled():
        future.exception()
