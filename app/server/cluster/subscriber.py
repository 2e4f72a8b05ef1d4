"""The node's one pub/sub connection: every sharded channel it listens on.

Pub/sub delivers at most once: whatever was published while the connection
was down is gone. So each channel has an `on_reset` callback, called when
its subscription is made again after a break (the owner then resyncs: a
snapshot from the origin). redis-py may reconnect and resubscribe by itself
inside a read; a second subscription confirmation for a channel shows that,
and counts as a break too. A Redis that hangs is found by PINGs that get no
answer.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.server.cluster.link import LINK_ERRORS, RedisLink

log = logging.getLogger(__name__)
MessageHandler = Callable[[bytes], None]
ResetHandler = Callable[[], None]
_MISSED_PINGS = 3


@dataclass
class _Channel:
    on_message: MessageHandler
    on_reset: ResetHandler
    confirmed: bool = False
    # Subscribed again after a break (or made while disconnected): messages
    # may have been missed, so the confirmation calls on_reset.
    needs_reset: bool = False
    pending: bool = False  # SSUBSCRIBE sent on this connection, not confirmed yet
    waiters: list["asyncio.Future[None]"] = field(default_factory=list)


class Subscriber:
    def __init__(self, link: RedisLink, ping_interval: float, confirm_timeout: float) -> None:
        self._link = link
        self._ping_interval = ping_interval
        self._confirm_timeout = confirm_timeout
        self._channels: dict[str, _Channel] = {}
        self._pubsub: PubSub | None = None
        self._connected = asyncio.Event()

    def confirmed(self, channel: str) -> bool:
        entry = self._channels.get(channel)
        return entry is not None and entry.confirmed

    async def add(self, channel: str, on_message: MessageHandler, on_reset: ResetHandler) -> None:
        """Listen on `channel`; returns once Redis confirmed it, or when it cannot now
        (then it is made on reconnect, and on_reset tells that messages may be lost)."""
        entry = self._channels.get(channel)
        if entry is None:
            entry = self._channels[channel] = _Channel(on_message, on_reset)
        else:
            entry.on_message, entry.on_reset = on_message, on_reset
        if entry.confirmed:
            return
        if self._pubsub is None and self._link.up:
            # Starting, or reconnecting after a blip: worth a moment's wait.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), self._confirm_timeout)
        pubsub = self._pubsub
        if pubsub is None:
            entry.needs_reset = True
            return
        waiter = asyncio.get_running_loop().create_future()
        entry.waiters.append(waiter)
        try:
            if not entry.pending:
                entry.pending = True
                await pubsub.ssubscribe(channel)
            await asyncio.wait_for(asyncio.shield(waiter), self._confirm_timeout)
        except (*LINK_ERRORS, TimeoutError):
            # Confirmed later or made again on reconnect; either way the owner hears of it.
            entry.needs_reset = True
        finally:
            with contextlib.suppress(ValueError):
                entry.waiters.remove(waiter)

    async def remove(self, channel: str) -> None:
        entry = self._channels.pop(channel, None)
        if entry is None or self._pubsub is None:
            return
        with contextlib.suppress(*LINK_ERRORS):
            await self._pubsub.sunsubscribe(channel)

    async def run(self) -> None:
        """Keep the connection: subscribe everything, read, and start over after a break."""
        while True:
            await self._link.wait_up()
            pubsub = self._link.client.pubsub()
            try:
                await pubsub.connect()  # type: ignore[no-untyped-call]
                # From here on add() subscribes by itself; what was there before is done here.
                self._pubsub = pubsub
                self._connected.set()
                for entry in self._channels.values():
                    entry.pending = True
                if self._channels:
                    await pubsub.ssubscribe(*self._channels)
                await self._read(pubsub)
            except LINK_ERRORS as exc:
                self._link.failed(exc)
            except Exception:
                log.exception("pub/sub reader failed; reconnecting")
                await asyncio.sleep(self._ping_interval)
            finally:
                self._pubsub = None
                self._connected.clear()
                for entry in self._channels.values():
                    entry.confirmed = entry.pending = False
                    entry.needs_reset = True
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        next_ping = last_heard + self._ping_interval
        while True:
            asked = loop.time()
            message = await pubsub.get_message(timeout=self._ping_interval)
            now = loop.time()
            if now - asked > 2 * self._ping_interval:
                # This loop was stalled (overload), not Redis: its answers may
                # be waiting unread. A fresh window, from a fresh ping.
                last_heard = next_ping = now
            if message is not None:
                last_heard = now
                self._dispatch(message)
            if now >= next_ping:
                await pubsub.ping()
                next_ping = now + self._ping_interval
            if now - last_heard > _MISSED_PINGS * self._ping_interval:
                raise RedisTimeoutError("no answer to pub/sub pings")

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind not in ("smessage", "ssubscribe"):
            return
        channel = message["channel"].decode()
        entry = self._channels.get(channel)
        if entry is None:
            return  # unsubscribed meanwhile
        try:
            if kind == "smessage":
                entry.on_message(message["data"])
                return
            reset = entry.needs_reset or entry.confirmed
            entry.confirmed, entry.needs_reset, entry.pending = True, False, False
            for waiter in entry.waiters:
                if not waiter.done():
                    waiter.set_result(None)
            if reset:
                entry.on_reset()
        except Exception:  # one channel's handler must not stop the others
            log.exception("handling a message on %s failed", channel)
