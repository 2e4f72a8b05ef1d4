"""The app loop's ready callbacks, run in rounds behind one zero-length Qt timer.

qasync turns every ``call_soon`` into a Qt timer of its own: started,
delivered as a timer event through PySide, killed. A task's every step is a
``call_soon``, and so is every future that completes, so the room's audio
(aiortc's receive chain: a datagram, its queue, the receiver task, the
decoder's hand-over, the playout) cost a few Qt timers per packet (issue 18
point 11: the listening app's CPU). Here ready callbacks go on a queue, as
in asyncio's own loops, and one single-shot zero timer runs a round: what
was queued when it fired, in order. Callbacks queued during a round wait
for the next one, so Qt's events (input, paints, sockets) still come in
between, as asyncio's selector loops poll between their rounds.
"""

from __future__ import annotations

import asyncio
from collections import deque

from PySide6.QtCore import QTimer


class ReadyQueue:
    """FIFO of ready handles and the zero timer that runs them (on the loop's thread)."""

    def __init__(self) -> None:
        self._handles: deque[asyncio.Handle] = deque()
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.run_round)
        self.rounds = 0  # Qt timer events spent (tests, benchmarks)
        self._closed = False

    def __len__(self) -> int:
        return len(self._handles)

    def push(self, handle: asyncio.Handle) -> None:
        if self._closed:  # as qasync's stopped timers: a closed loop runs nothing
            return
        self._handles.append(handle)
        if not self._timer.isActive():
            self._timer.start()

    def run_round(self) -> None:
        self.rounds += 1
        handles = self._handles
        try:
            for _ in range(len(handles)):  # those queued now; later ones in the next round
                handle = handles.popleft()
                if not handle.cancelled():
                    handle._run()  # reports its own exceptions to the loop, as asyncio's do
        finally:  # even past a KeyboardInterrupt: what is left still runs
            if handles and not self._timer.isActive():
                self._timer.start()

    def close(self) -> None:
        """Drop what is queued and stop the timer (the loop is closing)."""
        self._closed = True
        self._timer.stop()
        self._handles.clear()
