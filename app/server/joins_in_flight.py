"""Joins forwarded to another node's room, waiting for the origin's answer.

The events the origin publishes meanwhile are kept per join, so that once
the join's snapshot is known the ones newer than it can be handed on. Each
join has its own list, found by identity: two joins' lists are equal while
they hold the same events, and removing the other one's would leave that
join deaf to what arrives next.
"""

Arrived = list[tuple[int, bytes]]  # (seq, frame) in arrival order


class JoinsInFlight:
    def __init__(self) -> None:
        self._waiting: dict[str, list[Arrived]] = {}

    def start(self, room_id: str) -> Arrived:
        """A join of `room_id` is on its way: its events are kept in the list returned."""
        arrived: Arrived = []
        self._waiting.setdefault(room_id, []).append(arrived)
        return arrived

    def stop(self, room_id: str, arrived: Arrived) -> None:
        """This join is answered (or failed): its events need keeping no longer."""
        waiting = self._waiting.get(room_id, [])
        for i, other in enumerate(waiting):
            if other is arrived:
                del waiting[i]
                break
        if not waiting:
            self._waiting.pop(room_id, None)

    def keep(self, room_id: str, seq: int, frame: bytes) -> None:
        """An event of the room arrived: every join waiting on it keeps it."""
        for arrived in self._waiting.get(room_id, ()):
            arrived.append((seq, frame))

    def waiting(self, room_id: str) -> bool:
        return bool(self._waiting.get(room_id))
