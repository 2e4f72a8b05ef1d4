"""Runs a room's clock when its floor is due to change (floor.due), so that a
handover comes after the floor's gap rather than at the next half-second tick."""

import asyncio
from collections.abc import Callable


class FloorTimer:
    def __init__(self, clock: Callable[[], float], run: Callable[[str], None]) -> None:
        self._clock = clock
        self._run = run
        self._handles: dict[str, tuple[float, asyncio.TimerHandle]] = {}

    def arm(self, room_id: str, due: float | None) -> None:
        """Run the room at `due` (the hub's clock); None forgets a pending run."""
        pending = self._handles.get(room_id)
        if pending is not None and pending[0] == due:
            return
        if pending is not None:
            pending[1].cancel()
            del self._handles[room_id]
        if due is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # a test driving the hub without a loop; the ticker still runs
        # A little late rather than early: the core hands over only once due.
        delay = max(0.0, due - self._clock()) + 0.005
        self._handles[room_id] = (due, loop.call_later(delay, self._fire, room_id))

    def _fire(self, room_id: str) -> None:
        self._handles.pop(room_id, None)
        self._run(room_id)

    def close(self) -> None:
        for _, handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
