"""Push-to-talk's sync with the server, with a fake route in place of the room."""

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from app.client.ptt import PttMode, PttSource
from app.client.ptt_sync import PttSync
from app.client.talk import Talk


class FakeRoute:
    """The server's side: each request waits for the test to let it through."""

    def __init__(self) -> None:
        self.sent: list[bool] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None
        self.signed_in = True

    async def send_ptt(self, pressed: bool) -> bool:
        if not self.signed_in:
            return False
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.sent.append(pressed)
        return True


class LoopScheduler:
    def call_later(self, delay: float, callback: Any) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(delay, callback)


class Harness:
    def __init__(self, talk: Talk = Talk.READY, tail_ms: int = 0, mode: PttMode = PttMode.HOLD):
        self.talk = talk
        self.route = FakeRoute()
        self.refusals: list[str] = []
        self.failures: list[BaseException] = []
        self.changes = 0
        self.sync = PttSync(
            LoopScheduler(),
            mode,
            tail_ms,
            route=self.route,
            talk=lambda: self.talk,
            spawn=self.spawn,
            changed=self.changed,
            refused=self.refusals.append,
            failed=self.failures.append,
        )

    def spawn(self, work: Coroutine[Any, Any, None]) -> "asyncio.Task[None]":
        return asyncio.get_running_loop().create_task(work)

    def changed(self) -> None:
        self.changes += 1


async def test_a_press_is_confirmed_by_the_server() -> None:
    h = Harness()
    h.sync.press(PttSource.KEY)
    await h.sync.settled(5)
    assert h.route.sent == [True] and h.sync.acked
    h.sync.release(PttSource.KEY)
    await h.sync.settled(5)
    assert h.route.sent == [True, False] and not h.sync.acked


@pytest.mark.parametrize(
    ("talk", "code"),
    [
        (Talk.LISTENING, "talk_listening"),
        (Talk.MOD_MUTED, "talk_mod_muted"),
        (Talk.SELF_MUTED, "talk_self_muted"),
    ],
)
async def test_a_press_that_cannot_be_heard_says_why_and_asks_nothing(
    talk: Talk, code: str
) -> None:
    h = Harness(talk)
    h.sync.press(PttSource.BUTTON)
    h.sync.toggle()
    await h.sync.settled(5)
    assert not h.sync.machine.live and h.route.sent == []
    assert h.refusals == [code, code]


async def test_the_latest_wish_wins_and_requests_never_overlap() -> None:
    h = Harness()
    h.route.gate.clear()  # the server is slow
    h.sync.press(PttSource.KEY)
    await asyncio.sleep(0)
    h.sync.release(PttSource.KEY)
    h.sync.press(PttSource.KEY)  # pressed again while the first is in flight
    h.route.gate.set()
    await h.sync.settled(5)
    # One request in flight at a time: the first press, then nothing more,
    # since the wish is back to what the server confirmed.
    assert h.route.sent == [True] and h.sync.acked and h.sync.machine.live


async def test_a_failed_request_stops_talking_and_reports() -> None:
    h = Harness()
    h.route.fail = ConnectionError("link lost")
    h.sync.press(PttSource.KEY)
    await h.sync.settled(5)
    assert not h.sync.machine.live and not h.sync.acked
    assert [str(e) for e in h.failures] == ["link lost"]


async def test_settled_waits_out_the_release_tail() -> None:
    h = Harness(tail_ms=150)
    h.sync.press(PttSource.KEY)
    h.sync.release(PttSource.KEY)
    assert h.sync.machine.live and h.sync.machine.tail_pending
    await h.sync.settled(5)
    assert not h.sync.machine.live and h.route.sent == [True, False]


async def test_muted_while_live_ends_the_wish() -> None:
    h = Harness(mode=PttMode.LATCH)
    h.sync.toggle()
    await h.sync.settled(5)
    assert h.sync.machine.live
    h.talk = Talk.MOD_MUTED
    h.sync.stop_unless_allowed()
    await h.sync.settled(5)
    assert not h.sync.machine.live and h.route.sent == [True, False]


async def test_signed_out_nothing_is_sent() -> None:
    h = Harness()
    h.route.signed_in = False
    h.sync.press(PttSource.CONTROL)
    await h.sync.settled(5)
    assert h.sync.machine.live and not h.sync.acked and h.route.sent == []


async def test_settled_sees_a_press_that_ends_the_tail_early() -> None:
    h = Harness(tail_ms=2000)
    h.sync.press(PttSource.KEY)
    h.sync.release(PttSource.KEY)
    waiting = asyncio.ensure_future(h.sync.settled(30))
    await asyncio.sleep(0.05)
    h.sync.press(PttSource.KEY)  # back within the tail: still live, no tail
    await asyncio.wait_for(waiting, 1)
    assert h.sync.machine.live and not h.sync.machine.tail_pending
