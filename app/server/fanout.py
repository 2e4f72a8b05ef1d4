"""A room's frames to its members: the stage at once, a big audience in steps.

One event to 15,000 listeners is 15,000 socket writes, tens of ms with the
loop stopped: every request that arrived meanwhile, a host's included,
waits for the last listener. Here the stage's members get the frame at
once; the audience gets it at once too while it is small (up to `step`
sockets and nothing of the room's still on its way), and otherwise `step`
sockets a loop iteration, so that requests are read and answered between
the steps.

Order: every member sees a room's frames in the order they were sent. The
audience's part goes through one queue, first in first out, whatever the
room; the stage's part never waits. A member who joins the stage while some
of the room's frames are still on their way to them would see the next frame
before those: so when the stage gains someone, the room's queue is finished
first (`finish`), at once. A connection that left the room (or was replaced)
before a queued frame reached it is skipped: it was told it left, and the
room's frames are no longer its business; one that left and came back skips
nothing but ignores what its snapshot already holds (frames carry `seq`).
"""

import asyncio
import collections
from collections.abc import Iterable, Sequence
from typing import Protocol

# Audience sockets written per loop iteration: a direct write costs a few
# µs, so a step stops the loop for a few ms.
STEP = 500


class Member(Protocol):
    user_id: int
    room_id: str | None

    def deliver(self, frame: bytes) -> None: ...


class _Batch:
    __slots__ = ("done", "frames", "members", "room_id")

    def __init__(self, room_id: str, frames: Sequence[bytes], members: list[Member]) -> None:
        self.room_id = room_id
        self.frames = frames
        self.members = members
        self.done = 0  # members[:done] have the frames


class Fanout:
    def __init__(self, step: int = STEP) -> None:
        self._step = step
        self._queue: collections.deque[_Batch] = collections.deque()
        # Batches queued per room, and the room's stage as of its last send.
        self._pending: collections.Counter[str] = collections.Counter()
        self._stage: dict[str, frozenset[int]] = {}
        self._scheduled = False
        self._idle = asyncio.Event()
        self._idle.set()

    def queued(self, room_id: str) -> int:
        """The room's batches still on their way to some of its audience."""
        return self._pending[room_id]

    def send(
        self,
        room_id: str,
        frames: Sequence[bytes],
        stage: Iterable[tuple[int, Member]],
        audience: Iterable[Member],
    ) -> None:
        """`frames` to the stage (user id, connection) at once, then to `audience`
        (every attached connection; the stage's are left out here)."""
        front = list(stage)
        ids = frozenset(uid for uid, _ in front)
        if self._pending[room_id] and not ids <= self._stage.get(room_id, frozenset()):
            self.finish(room_id)  # someone joined the stage: what they wait for comes first
        self._stage[room_id] = ids
        for _uid, member in front:
            for frame in frames:
                member.deliver(frame)
        rest = [m for m in audience if m.user_id not in ids] if ids else list(audience)
        if not rest:
            return
        if not self._pending[room_id] and len(rest) <= self._step:
            _deliver(room_id, frames, rest)
            return
        self._enqueue(room_id, frames, rest)

    def send_behind(self, room_id: str, frames: Sequence[bytes], members: Iterable[Member]) -> None:
        """`frames` to these members of the audience only, after whatever of the
        room's is still on its way (the room's stage as it was)."""
        batch = list(members)
        if not batch:
            return
        if not self._pending[room_id]:
            _deliver(room_id, frames, batch)
            return
        self._enqueue(room_id, frames, batch)

    def _enqueue(self, room_id: str, frames: Sequence[bytes], members: list[Member]) -> None:
        self._queue.append(_Batch(room_id, frames, members))
        self._idle.clear()
        self._pending[room_id] += 1
        self._schedule()

    def finish(self, room_id: str) -> None:
        """Whatever of the room's is queued goes out now (before the room ends,
        or when someone joins its stage)."""
        if not self._pending[room_id]:
            return
        for batch in self._queue:
            if batch.room_id == room_id and batch.done < len(batch.members):
                _deliver(room_id, batch.frames, batch.members[batch.done :])
                batch.done = len(batch.members)
        self._pending[room_id] = 0
        self._queue = collections.deque(b for b in self._queue if b.room_id != room_id)
        if not self._queue:
            self._idle.set()

    async def drained(self) -> None:
        """Return once nothing is queued (each step runs in its own loop iteration)."""
        await self._idle.wait()

    def forget(self, room_id: str) -> None:
        """The room is gone from this node."""
        self.finish(room_id)
        self._stage.pop(room_id, None)
        self._pending.pop(room_id, None)

    def _schedule(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # driven without a loop (a test): everything now
            while self._queue:
                self._step_once(len(self._queue[0].members))
            return
        self._scheduled = True
        loop.call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        self._step_once(self._step)
        if self._queue:
            self._schedule()

    def _step_once(self, budget: int) -> None:
        while self._queue and budget > 0:
            batch = self._queue[0]
            end = min(len(batch.members), batch.done + budget)
            _deliver(batch.room_id, batch.frames, batch.members[batch.done : end])
            budget -= end - batch.done
            batch.done = end
            if batch.done >= len(batch.members):
                self._queue.popleft()
                self._pending[batch.room_id] -= 1
        if not self._queue:
            self._idle.set()


def _deliver(room_id: str, frames: Sequence[bytes], members: Iterable[Member]) -> None:
    for member in members:
        if member.room_id != room_id:
            continue  # left (or was replaced) while this was on its way
        for frame in frames:
            member.deliver(frame)
