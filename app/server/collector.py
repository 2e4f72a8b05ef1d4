"""The garbage collector in a server holding thousands of connections: short pauses.

CPython's cyclic collector stops the event loop for as long as a collection
takes, and a full (generation 2) collection walks every tracked object: with
thousands of connections (a few hundred objects each) that is hundreds of
milliseconds, and a join storm, which makes many long-lived objects, sets off
several. Every room's requests wait meanwhile.

`CollectorPolicy` freezes what survives a full collection (`gc.freeze`:
moved out of the collector's sight, still freed by reference counting as
usual), so that the next full collection walks only what was made since.
Cyclic garbage among frozen objects waits for the next refresh: every
`refresh` seconds everything is unfrozen, so that the next full collection
walks it all once (one long pause) and collects those cycles. `check` runs
once a second on the server's loop; it is pure given the time it is passed.
"""

import asyncio
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

REFRESH = 600.0


class CollectorPolicy:
    def __init__(
        self, refresh: float = REFRESH, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._refresh = refresh
        self._clock = clock
        self._full_seen = _full_collections()
        self._refreshed_at = clock()

    def start(self) -> None:
        """Freeze what start-up made (modules, the app), after one collection."""
        gc.collect()
        gc.freeze()
        self._full_seen = _full_collections()
        self._refreshed_at = self._clock()

    def check(self, now: float) -> None:
        full = _full_collections()
        if full != self._full_seen:
            self._full_seen = full
            gc.freeze()  # survivors of that collection: out of the next one's way
        if now - self._refreshed_at >= self._refresh:
            self._refreshed_at = now
            gc.unfreeze()

    async def run(self, interval: float = 1.0) -> None:
        self.start()
        while True:
            await asyncio.sleep(interval)
            try:
                self.check(self._clock())
            except Exception:  # never a reason to stop the server
                log.exception("the collector policy failed")


def _full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])
