"""PhaseAligner: when a pulling clock may move sooner, and by how much."""

from app.dsp.jitter_buffer import PlayoutBuffer
from app.dsp.phase import PhaseAligner
from tests.dsp.test_jitter_buffer import F, buffer, run


def test_moves_by_what_every_talking_input_can_spare_less_the_margin() -> None:
    aligner = PhaseAligner(min_shift_ms=3.0, margin_ms=1.0, interval=1.0)
    assert aligner.shift_ms([12.0, 7.5, 30.0], now=10.0) == 6.5
    assert aligner.shifts == 1 and aligner.shifted_ms == 6.5


def test_holds_while_an_input_is_unmeasured_or_the_gain_is_small() -> None:
    aligner = PhaseAligner(min_shift_ms=3.0, margin_ms=1.0)
    assert aligner.shift_ms([], now=10.0) == 0.0  # nobody talking
    assert aligner.shift_ms([15.0, None], now=10.0) == 0.0  # a new talker: wait for its window
    assert aligner.shift_ms([3.5], now=10.0) == 0.0  # 2.5 ms: not worth a jump
    assert aligner.shifts == 0


def test_one_move_per_interval() -> None:
    aligner = PhaseAligner(interval=1.0)
    assert aligner.shift_ms([10.0], now=5.0) > 0
    assert aligner.shift_ms([10.0], now=5.5) == 0.0
    assert aligner.shift_ms([10.0], now=6.0) > 0


def test_excess_is_the_latest_packets_spare_time_after_a_full_window() -> None:
    buf: PlayoutBuffer[int] = buffer(shrink_window=50)
    # Packets arrive 1 ms into each frame; pulls at 15 ms: every packet waits 14 ms.
    run(buf, [(n, n * F + 0.001) for n in range(30)], 30, phase=0.015)
    assert buf.talking and buf.excess_ms is None  # 30 of 50 waits seen
    buf2: PlayoutBuffer[int] = buffer(shrink_window=50)
    run(buf2, [(n, n * F + 0.001) for n in range(80)], 80, phase=0.015)
    assert buf2.excess_ms is not None
    assert abs(buf2.excess_ms - (14.0 - buf2.target_delay_ms)) < 0.01
    buf2.realigned(now=80 * F)
    assert buf2.excess_ms is None  # measured afresh at the new phase


def test_idle_buffer_is_not_talking() -> None:
    buf: PlayoutBuffer[int] = buffer()
    assert not buf.talking and buf.excess_ms is None


def test_no_excess_offered_for_a_while_after_arrivals_ran_late() -> None:
    buf: PlayoutBuffer[int] = buffer(shrink_window=50)
    arrivals = [(n, n * F + 0.001) for n in range(150)]
    arrivals[100] = (100, 100 * F + 0.030)  # one packet misses its pull: the buffer grows
    run(buf, arrivals, 150, phase=0.015)
    assert buf.stats.underruns + buf.stats.late >= 1
    assert buf.excess_ms is None  # 1 s after growing: hold on (GROW_HOLD)
    for seq, t in [(n, n * F + 0.001) for n in range(150, 700)]:
        buf.put(seq & 0xFFFF, seq * 960, seq, t)
        buf.get(t + 0.014 + 0.020)
    assert buf.excess_ms is not None  # 11 s later it speaks again
