"""Push-to-talk kept in step with the server.

The machine (ptt.py) says what the person wants; this class asks the server
for it (through the voice link when there is one, so the microphone opens
with the grant) and remembers what the server confirmed. A wish only starts
when the talk state (talk.py) allows it; a refusal says why in a notice.
Requests never overlap: one task brings the server in line, and if the wish
changed while it was waiting, the latest wish wins.
"""

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from app.client.ptt import PttDecision, PttMachine, PttMode, PttSource, Scheduler
from app.client.talk import Talk, may_talk


class PttRoute(Protocol):
    """Where a push-to-talk change goes: the voice link, else the room client."""

    async def send_ptt(self, pressed: bool) -> bool:
        """Ask for `pressed`; False when there is no one to ask (signed out)."""
        ...


class PttSync:
    def __init__(
        self,
        scheduler: Scheduler,
        mode: PttMode,
        tail_ms: int,
        route: PttRoute,
        talk: Callable[[], Talk],
        spawn: Callable[[Coroutine[Any, Any, None]], "asyncio.Task[Any] | None"],
        changed: Callable[[], None],
        refused: Callable[[str], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        self.machine = PttMachine(scheduler, self._machine_changed, mode, tail_ms)
        self.acked = False  # what the server has confirmed
        self._route = route
        self._talk = talk
        self._spawn = spawn
        self._changed = changed
        self._refused = refused  # a notice code: why a press did nothing
        self._failed = failed
        self._task: asyncio.Task[Any] | None = None
        self._moved = asyncio.Event()  # set when the tail may have ended

    def press(self, source: PttSource) -> None:
        if self._may_talk():
            self.machine.press(source)
            self._moved.set()  # a press within the tail ends it without a change

    def release(self, source: PttSource) -> None:
        self.machine.release(source)

    def toggle(self) -> None:
        if self.machine.live or self._may_talk():
            self.machine.toggle()

    def stop(self) -> None:
        self.machine.stop()
        self._moved.set()

    def forget(self) -> None:
        """Out of the room: nothing is live and nothing is confirmed."""
        self.machine.stop()
        self.acked = False

    def stop_unless_allowed(self) -> None:
        """Muted or off the stage: a live wish ends, so LIVE is never shown in vain."""
        if self.machine.live and not may_talk(self._talk()):
            self.machine.stop()

    async def settled(self, timeout: float) -> None:
        """Wait out a release tail, then the server's answer to the last change."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.machine.tail_pending:
                    self._moved.clear()
                    await self._moved.wait()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait_for(asyncio.shield(task), timeout)

    def _may_talk(self) -> bool:
        state = self._talk()
        if may_talk(state):
            return True
        code = _REFUSALS.get(state)
        if code is not None:
            self._refused(code)
        return False

    def _machine_changed(self, _decision: PttDecision) -> None:
        self._moved.set()
        self._changed()
        if self._task is None or self._task.done():
            self._task = self._spawn(self._apply())

    async def _apply(self) -> None:
        while self.acked != self.machine.live:
            want = self.machine.live
            try:
                if not await self._route.send_ptt(want):
                    return
            except Exception as exc:
                self.acked = False
                if self.machine.live:
                    self.machine.stop()
                self._failed(exc)
                return
            self.acked = want
            self._changed()


_REFUSALS = {
    Talk.MOD_MUTED: "talk_mod_muted",
    Talk.SELF_MUTED: "talk_self_muted",
    Talk.LISTENING: "talk_listening",
}
