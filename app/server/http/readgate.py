"""What one loop iteration reads for the audience: at most `per_turn` chunks.

In a storm thousands of listeners' sockets are readable at once. The loop
reads them all in one iteration and wakes every connection's handler for the
next one, so a stage member's frame that arrived among them is handled only
after thousands of audience handlers have stepped (the loop's lag of 0.5-1 s
that the stage's clients saw at 5,000 and 15,000 listeners, while the server
itself took 30-60 ms on their requests). The audience lane cannot reorder
that: it acts after a handler has run.

The gate acts before: an audience connection's bytes go on to aiohttp only
while this iteration's share of `per_turn` lasts. Past it, the connection's
bytes are held, its transport stops reading (the rest stays in the kernel's
buffer, so a flood costs no memory here), and it waits in arrival order;
each later iteration releases the next `per_turn` first, then resumes their
reading. A connection whose bytes are held stays held until they are passed
on, so its frames keep their order. The stage's connections never wait here.
"""

import asyncio
import collections
from typing import Protocol

# Audience chunks passed on per loop iteration. Each wakes one handler:
# about 20-40 µs each when the lane parks it, so a turn of the audience
# costs the stage a few ms, far below the 200 ms it may wait; and 200 a turn
# is thousands a second, far above the joins admitted (300 a second).
PER_TURN = 200


class Held(Protocol):
    def release(self) -> None:
        """Pass the held bytes on and read again."""


class ReadGate:
    def __init__(self, per_turn: int = PER_TURN) -> None:
        self.per_turn = max(1, per_turn)
        self._used = 0
        self._turn_open = False
        self._pumping = False
        self._waiting: collections.deque[Held] = collections.deque()
        # Chunks held since start: a figure for tests and reports.
        self.held_total = 0

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def admit(self) -> bool:
        """May an audience connection's chunk go on now? If not, the caller `hold`s it."""
        self._open_turn()
        if self._waiting or self._used >= self.per_turn:
            return False
        self._used += 1
        return True

    def hold(self, connection: Held) -> None:
        self.held_total += 1
        self._waiting.append(connection)
        if not self._pumping:
            self._pumping = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _open_turn(self) -> None:
        if not self._turn_open:
            self._turn_open = True
            # Runs at the start of the next iteration: the turn is this one.
            asyncio.get_running_loop().call_soon(self._end_turn)

    def _end_turn(self) -> None:
        self._turn_open = False
        self._used = 0

    def _pump(self) -> None:
        # Scheduled in the iteration before, so it runs ahead of this
        # iteration's reads: the longest-held go first.
        self._open_turn()
        while self._waiting and self._used < self.per_turn:
            self._used += 1
            self._waiting.popleft().release()
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._pump)
        else:
            self._pumping = False
