"""Logging that a flood cannot turn into a flood of log lines.

A fault that repeats (a room whose save keeps failing, a client that keeps
sending what makes a request fail, accept() out of descriptors thousands of
times a second) is logged the first time, then at most once per interval
with how many times it happened meanwhile.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

# Past this many keys, those quiet for a while are forgotten.
_MAX_KEYS = 10_000


class Throttle:
    """Decides which of a repeated thing to report: the first, then one per interval."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        # key -> (when it was last reported, how often it happened since)
        self._seen: dict[str, tuple[float, int]] = {}

    def admit(self, key: str) -> int | None:
        """None: stay quiet. Else report now, saying it also happened that many times."""
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self.interval:
            self._seen[key] = (last[0], last[1] + 1)
            return None
        if last is None and len(self._seen) >= _MAX_KEYS:
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.interval}
        self._seen[key] = (now, 0)
        return last[1] if last is not None else 0

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)


class RateLimitedLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._throttle = Throttle(interval, clock)

    def error(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        self.log(logging.ERROR, key, message, *args, exc_info=exc_info)

    def warning(self, key: str, message: str, *args: object) -> None:
        self.log(logging.WARNING, key, message, *args)

    def log(
        self, level: int, key: str, message: str, *args: object, exc_info: bool = False
    ) -> bool:
        """Log unless `key` was logged within the interval; True if it was logged."""
        repeats = self._throttle.admit(key)
        if repeats is None:
            return False
        if repeats:
            message += " (and %d more times since the last report)"
            args = (*args, repeats)
        self._logger.log(level, message, *args, exc_info=exc_info)
        return True

    def forget(self, key: str) -> None:
        """`key` recovered: its next failure is reported at once."""
        self._throttle.forget(key)


class LoopErrors:
    """An event loop exception handler that rate-limits repeated messages.

    asyncio reports every failed accept() ("socket.accept() out of system
    resource") through the loop's exception handler, many times a second once
    descriptors run out; this passes the first of each kind on, then one per
    interval with a count.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = 10.0) -> None:
        self._loop = loop
        self._previous = loop.get_exception_handler()
        self._throttle = Throttle(interval)

    def install(self) -> None:
        self._loop.set_exception_handler(self._handle)

    def uninstall(self) -> None:
        if self._loop.get_exception_handler() == self._handle:
            self._loop.set_exception_handler(self._previous)

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        exception = context.get("exception")
        repeats = self._throttle.admit(f"{message} {type(exception).__name__}")
        if repeats is None:
            return
        if repeats:
            context = {**context, "message": f"{message} (and {repeats} more times before)"}
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
