"""The join gate (pure: the test passes the time): joins at its rate, a burst
at once, a short wait in turn, then `busy` with a slot of one's own so that
the refused come back spread out and in the order they came."""

import pytest

from app.server.admission import Busy, JoinGate


def test_a_burst_goes_in_at_once_then_joins_wait_their_turn() -> None:
    gate = JoinGate(rate=100.0, burst=10, max_wait=0.5)
    assert [gate.reserve(0.0) for _ in range(10)] == pytest.approx([0.0] * 10, abs=1e-9)
    waits = [gate.reserve(0.0) for _ in range(49)]
    assert waits == pytest.approx([0.01 * k for k in range(1, 50)])
    with pytest.raises(Busy):
        gate.reserve(0.0)
    # Time passes: the queue drains at the rate.
    assert gate.reserve(1.0) == 0.0


def test_the_refused_are_told_later_slots_in_the_order_they_came() -> None:
    gate = JoinGate(rate=100.0, burst=1, max_wait=0.1)
    for _ in range(11):
        assert gate.reserve(0.0) <= 0.1
    told = []
    for _ in range(200):
        with pytest.raises(Busy) as refused:
            gate.reserve(0.0)
        told.append(refused.value.retry_after)
    assert told == sorted(told) and len(set(told)) == len(told)
    # Spread at the admission rate: 200 refusals cover about two seconds.
    assert told[-1] - told[0] == pytest.approx(199 / 100.0, rel=0.01)


def test_everyone_gets_in_when_the_refused_come_back_when_told() -> None:
    gate = JoinGate(rate=200.0, burst=20, max_wait=0.25)
    pending = [(0.0, i) for i in range(2000)]  # (when they ask, who)
    admitted: list[tuple[float, int]] = []
    rounds = 0
    while pending:
        rounds += 1
        later = []
        for when, who in sorted(pending):
            try:
                wait = gate.reserve(when)
            except Busy as busy:
                later.append((when + busy.retry_after, who))
            else:
                assert wait <= 0.25
                admitted.append((when + wait, who))
        pending = later
        assert rounds < 10
    assert sorted(who for _, who in admitted) == list(range(2000))
    times = sorted(t for t, _ in admitted)
    # Never faster than the rate (beyond the first burst).
    assert times[-1] >= (2000 - 20) / 200.0 - 1e-6
