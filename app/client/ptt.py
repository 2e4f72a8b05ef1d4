"""The push-to-talk state machine: keys and buttons in, talk decisions out.

Plain state with an injected scheduler, so that the release tail is tested
without sleeping. Modes:

- hold: live while the key is held, plus the release tail (0-2000 ms) after
  it goes up, so that the end of a word is not clipped; pressing again within
  the tail keeps talking without a gap.
- latch: each press flips between live and off; releases are ignored.

Several sources may press at once (the window's key, the button, the global
hotkey, the control socket): the microphone stays open while any of them is
held, and a latch flips only on the first of them, so one physical press seen
twice never flips it back. The control socket's press/release is a pedal in
both modes: `ptt release` always ends talking (a latch cannot leave a script
live), and so is voice-activity mode's speech detector. `toggle` (the
command line, the tray) flips in either mode. Every change of `live` is
reported once to `on_change`, with a cue ("on"/"off") for the sound the app
may play.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

MAX_TAIL_MS = 2000


class PttMode(StrEnum):
    HOLD = "hold"
    LATCH = "latch"


class PttSource(StrEnum):
    KEY = "key"  # the window's push-to-talk key
    BUTTON = "button"  # the big button
    HOTKEY = "hotkey"  # the global key, with the window in the background
    CONTROL = "control"  # `panggung ptt press|release`: a pedal in both modes
    VOICE = "voice"  # voice-activity mode's speech detector: a pedal too


# Sources that press and release like a pedal in either mode (never latch).
PEDALS = frozenset({PttSource.CONTROL, PttSource.VOICE})


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Runs a callback after a delay in seconds (asyncio's loop.call_later fits)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable: ...


@dataclass(frozen=True, slots=True)
class PttDecision:
    live: bool
    cue: str  # "on" or "off": which cue sound to play
    reason: str  # "press", "release", "tail", "toggle", "stop"


class PttMachine:
    def __init__(
        self,
        scheduler: Scheduler,
        on_change: Callable[[PttDecision], None],
        mode: PttMode = PttMode.HOLD,
        tail_ms: int = 0,
    ) -> None:
        self._scheduler = scheduler
        self._on_change = on_change
        self.mode = mode
        self.tail_ms = clamp_tail(tail_ms)
        self.live = False
        self._held: set[PttSource] = set()
        self._tail: Cancellable | None = None

    def set_mode(self, mode: PttMode) -> None:
        if mode != self.mode:
            self.mode = mode
            self.stop()  # switching modes never leaves a microphone open

    def set_tail_ms(self, tail_ms: int) -> None:
        self.tail_ms = clamp_tail(tail_ms)

    @property
    def tail_pending(self) -> bool:
        return self._tail is not None

    @property
    def held(self) -> bool:
        return bool(self._held)

    def holds(self, source: PttSource) -> bool:
        return source in self._held

    def press(self, source: PttSource = PttSource.KEY) -> None:
        """A key or button went down (auto-repeat presses are ignored)."""
        if source in self._held:
            return
        first = not self._held
        self._held.add(source)
        if self.mode is PttMode.LATCH and source not in PEDALS:
            if first and not self._cancel_tail():  # in a tail: stay on, latched
                self._set(not self.live, "press")
            return
        if self._cancel_tail():
            return  # still live from the last press: no gap, no cue
        self._set(True, "press")

    def release(self, source: PttSource = PttSource.KEY) -> None:
        if source not in self._held:
            return
        self._held.discard(source)
        if self._held or not self.live:
            return  # another source still holds it open
        if self.mode is PttMode.LATCH and source not in PEDALS:
            return
        if self.tail_ms == 0:
            self._set(False, "release")
            return
        self._tail = self._scheduler.call_later(self.tail_ms / 1000, self._tail_ended)

    def toggle(self) -> None:
        self._cancel_tail()
        self._set(not self.live, "toggle")

    def stop(self) -> None:
        """Off now, whatever is held (left the stage, muted, window lost the key)."""
        self._cancel_tail()
        self._held.clear()
        self._set(False, "stop")

    def _tail_ended(self) -> None:
        self._tail = None
        if not self._held:
            self._set(False, "tail")

    def _cancel_tail(self) -> bool:
        if self._tail is None:
            return False
        self._tail.cancel()
        self._tail = None
        return True

    def _set(self, live: bool, reason: str) -> None:
        if live == self.live:
            return
        self.live = live
        self._on_change(PttDecision(live, "on" if live else "off", reason))


def clamp_tail(tail_ms: int) -> int:
    return max(0, min(MAX_TAIL_MS, int(tail_ms)))
