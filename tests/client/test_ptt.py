"""The push-to-talk state machine, driven by a fake clock."""

from collections.abc import Callable
from dataclasses import dataclass, field

from app.client.ptt import MAX_TAIL_MS, PttDecision, PttMachine, PttMode


@dataclass
class FakeTimer:
    when: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FakeClock:
    now: float = 0.0
    timers: list[FakeTimer] = field(default_factory=list)

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for timer in sorted(self.timers, key=lambda t: t.when):
            if timer.when <= self.now and not timer.cancelled:
                timer.cancelled = True
                timer.callback()


def machine(
    mode: PttMode = PttMode.HOLD, tail_ms: int = 0
) -> tuple[PttMachine, FakeClock, list[PttDecision]]:
    clock = FakeClock()
    seen: list[PttDecision] = []
    return PttMachine(clock, seen.append, mode, tail_ms), clock, seen


def lives(seen: list[PttDecision]) -> list[bool]:
    return [d.live for d in seen]


def test_hold_talks_while_held() -> None:
    ptt, _, seen = machine()
    ptt.press()
    assert ptt.live and seen == [PttDecision(True, "on", "press")]
    ptt.press()  # key auto-repeat
    ptt.release()
    assert not ptt.live and seen[-1] == PttDecision(False, "off", "release")
    assert len(seen) == 2


def test_release_tail_keeps_talking_then_stops() -> None:
    ptt, clock, seen = machine(tail_ms=300)
    ptt.press()
    ptt.release()
    assert ptt.live and ptt.tail_pending
    clock.advance(0.299)
    assert ptt.live
    clock.advance(0.002)
    assert not ptt.live and seen[-1].reason == "tail"
    assert lives(seen) == [True, False]


def test_press_within_tail_has_no_gap() -> None:
    ptt, clock, seen = machine(tail_ms=500)
    ptt.press()
    ptt.release()
    clock.advance(0.2)
    ptt.press()
    clock.advance(1.0)
    assert ptt.live and lives(seen) == [True]
    ptt.release()
    clock.advance(0.5)
    assert lives(seen) == [True, False]


def test_latch_flips_on_press_and_ignores_release() -> None:
    ptt, _, seen = machine(PttMode.LATCH, tail_ms=1000)
    ptt.press()
    ptt.release()
    assert ptt.live
    ptt.press()
    ptt.release()
    assert not ptt.live and lives(seen) == [True, False]


def test_toggle_and_stop_work_in_any_mode() -> None:
    ptt, clock, seen = machine(tail_ms=400)
    ptt.toggle()
    assert ptt.live
    ptt.toggle()
    assert not ptt.live
    ptt.press()
    ptt.release()
    ptt.stop()
    assert not ptt.live and not ptt.tail_pending
    clock.advance(1)
    assert lives(seen) == [True, False, True, False]
    assert seen[-1].reason == "stop"


def test_switching_mode_closes_the_microphone() -> None:
    ptt, _, seen = machine(PttMode.LATCH)
    ptt.press()
    ptt.set_mode(PttMode.HOLD)
    assert not ptt.live and not ptt.held
    assert lives(seen) == [True, False]


def test_tail_is_clamped() -> None:
    ptt, _, _ = machine(tail_ms=-5)
    assert ptt.tail_ms == 0
    ptt.set_tail_ms(10_000)
    assert ptt.tail_ms == MAX_TAIL_MS


def test_release_without_press_does_nothing() -> None:
    ptt, clock, seen = machine(tail_ms=100)
    ptt.release()
    clock.advance(1)
    assert seen == []
