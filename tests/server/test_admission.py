"""The join gate (pure: the test passes the time): joins at its rate, a burst
at once, a short wait in turn, then `busy` with a slot held for the refused,
so that they come back spread out, in the order they came, and go in at once."""

import pytest

from app.server.admission import Busy, JoinGate


def test_a_burst_goes_in_at_once_then_joins_wait_their_turn() -> None:
    gate = JoinGate(rate=100.0, burst=10, max_wait=0.5)
    assert [gate.reserve(0.0, i) for i in range(10)] == pytest.approx([0.0] * 10, abs=1e-9)
    waits = [gate.reserve(0.0, 10 + i) for i in range(49)]
    assert waits == pytest.approx([0.01 * k for k in range(1, 50)])
    with pytest.raises(Busy):
        gate.reserve(0.0, 99)
    # Time passes: the queue drains at the rate.
    assert gate.reserve(1.0, 100) == 0.0


def test_the_refused_are_told_later_slots_in_the_order_they_came() -> None:
    gate = JoinGate(rate=100.0, burst=1, max_wait=0.1)
    for i in range(11):
        assert gate.reserve(0.0, i) <= 0.1
    told = []
    for who in range(100, 300):
        with pytest.raises(Busy) as refused:
            gate.reserve(0.0, who)
        told.append(refused.value.retry_after)
    assert told == sorted(told) and len(set(told)) == len(told)
    # Spread at the admission rate: 200 refusals cover about two seconds.
    assert told[-1] - told[0] == pytest.approx(199 / 100.0, rel=0.01)
    assert gate.holding == 200


def test_the_refused_coming_back_when_told_go_in_at_once_in_order_refused_once() -> None:
    gate = JoinGate(rate=200.0, burst=20, max_wait=0.25)
    told: dict[int, float] = {}
    for who in range(2000):
        try:
            gate.reserve(0.0, who)
        except Busy as busy:
            told[who] = busy.retry_after
    # Meanwhile newcomers arrive: they queue behind every held slot.
    with pytest.raises(Busy) as late:
        gate.reserve(1.0, 5000)
    assert late.value.retry_after + 1.0 > max(told.values())
    # Each refused one comes back exactly when told (or a little later), and
    # nobody is refused twice: their slot was kept for them.
    admitted = []
    for who, after in sorted(told.items(), key=lambda kv: kv[1]):
        when = after * (1.0 + (who % 7) / 100)
        assert gate.reserve(when, who) == pytest.approx(0.0, abs=1e-6)
        admitted.append(who)
    assert admitted == sorted(told) and len(told) == 2000 - 69  # 69 admitted at first
    assert gate.holding == 1  # the newcomer's
    # Never faster than the rate: the last held slot is where the rate puts it.
    assert max(told.values()) == pytest.approx((2000 - 20) / 200.0, abs=0.01)


def test_coming_back_too_early_is_told_the_same_slot_again() -> None:
    gate = JoinGate(rate=10.0, burst=1, max_wait=0.2)
    assert [gate.reserve(0.0, who) for who in (1, 2, 3)] == pytest.approx([0.0, 0.1, 0.2])
    with pytest.raises(Busy) as first:
        gate.reserve(0.0, 4)
    assert first.value.retry_after == pytest.approx(0.3)
    with pytest.raises(Busy):
        gate.reserve(0.0, 5)
    # Early by more than the wait allowed: the same slot, not a new one at the back.
    with pytest.raises(Busy) as again:
        gate.reserve(0.05, 4)
    assert again.value.retry_after == pytest.approx(0.25)
    # Early within the wait allowed: wait for the slot.
    assert gate.reserve(0.15, 4) == pytest.approx(0.15)
    assert gate.reserve(0.5, 5) == 0.0


def test_a_slot_nobody_comes_back_for_is_forgotten() -> None:
    gate = JoinGate(rate=10.0, burst=1, max_wait=0.0, hold=5.0)
    gate.reserve(0.0, 1)
    with pytest.raises(Busy):
        gate.reserve(0.0, 2)
    assert gate.holding == 1
    assert gate.reserve(3.0, 3) == 0.0
    assert gate.holding == 1  # held until 5 s after its time
    gate.reserve(5.2, 4)
    assert gate.holding == 0
    # Long gone, they come back as a newcomer: admitted by the rate, not the old slot.
    assert gate.reserve(20.0, 2) == 0.0
