"""Join admission: joins at a rate the server can sustain, in arrival order.

After a restart every client comes back at once. The gate admits `rate`
joins a second (a burst of `burst` at once); a join that would wait up to
`max_wait` waits its turn; one that would wait longer is refused at once
with `retry_after` and its slot is *held* for it: the slot is its ticket,
taken from the schedule like an admitted join's, so nobody else gets it.
Coming back when told, the refused go in at once, without competing with
the herd again: each is refused once at most, and everyone gets in in the
order they first came. A slot held for someone who never comes back is a
gap in the schedule; it is forgotten `hold` seconds after it passed.

Pure: the caller passes the time (a monotonic clock) and who asks, and does
the waiting. The scheme is the generic cell rate algorithm (a token bucket
expressed as the "theoretical arrival time" of the next join).
"""

import collections
import math
from dataclasses import dataclass, field


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
    # How long after its time a held slot is kept for someone coming back late.
    hold: float = 60.0
    # When the next join could go in with no burst left.
    _next: float = -math.inf
    # Slots held for the refused: who -> when; and the same in slot order, to forget them.
    _held: dict[int, float] = field(default_factory=dict)
    _order: collections.deque[tuple[float, int]] = field(default_factory=collections.deque)

    def reserve(self, now: float, who: int) -> float:
        """Seconds `who` waits before going in; raises Busy past `max_wait`."""
        self._forget(now)
        held = self._held.get(who)
        if held is not None:
            if held - now > self.max_wait:
                raise Busy(_ms_up(held - now))  # came back early: the same slot
            del self._held[who]
            return max(0.0, held - now)
        spacing = 1.0 / self.rate
        slot = max(self._next, now - (self.burst - 1) * spacing)
        self._next = slot + spacing
        wait = slot - now
        if wait > self.max_wait:
            self._held[who] = slot
            self._order.append((slot, who))
            raise Busy(_ms_up(wait))
        return max(0.0, wait)

    @property
    def holding(self) -> int:
        """How many refused joins hold a slot."""
        return len(self._held)

    def _forget(self, now: float) -> None:
        order = self._order
        while order and order[0][0] < now - self.hold:
            slot, who = order.popleft()
            if self._held.get(who) == slot:
                del self._held[who]


def _ms_up(seconds: float) -> float:
    """Rounded up to the millisecond: told this, nobody comes back before their slot."""
    return math.ceil(seconds * 1000.0 - 1e-6) / 1000.0
