"""Join admission: joins at a rate the server can sustain, in arrival order.

After a restart every client comes back at once. The gate admits `rate`
joins a second (a burst of `burst` at once); a join that would wait up to
`max_wait` waits its turn; one that would wait longer is refused at once
with `retry_after`: a time slot of its own after everyone already waiting or
told to come back, so that the refused return spread out at the admission
rate, in the order they first came, instead of all together again.

Pure: the caller passes the time (a monotonic clock) and does the waiting.
The scheme is the generic cell rate algorithm (a token bucket expressed as
the "theoretical arrival time" of the next join).
"""

import math
from dataclasses import dataclass


class Busy(Exception):
    """Refused for now: come back after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.2f} s")
        self.retry_after = retry_after


@dataclass(slots=True)
class JoinGate:
    rate: float = 300.0
    burst: int = 50
    max_wait: float = 1.0
    # When the next join could go in with no burst left.
    _next: float = -math.inf
    # The latest slot promised to a refused join.
    _promised: float = -math.inf

    def reserve(self, now: float) -> float:
        """Seconds to wait before admitting this join; raises Busy past `max_wait`."""
        spacing = 1.0 / self.rate
        slot = max(self._next, now - (self.burst - 1) * spacing)
        wait = max(0.0, slot - now)
        if wait > self.max_wait:
            # A slot after every earlier promise, so that returns come in order.
            self._promised = max(self._promised + spacing, slot)
            raise Busy(round(self._promised - now, 3))
        self._next = slot + spacing
        return wait
