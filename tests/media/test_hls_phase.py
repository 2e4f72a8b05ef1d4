"""Segments that end just before each wall-clock second, whatever the mixer's ticks do."""

import random

import pytest

from app.dsp import FRAME_SECONDS
from app.media.server.hls_phase import DROP, SegmentPhase

PHASE = 0.85


def boundary_phases(phase: SegmentPhase, times: list[float]) -> list[float]:
    """Feed frames arriving at `times`; the wall-clock fraction at which each
    segment boundary frame (every 50th of the stream) was written."""
    out = []
    for now in times:
        placed = phase.place(now)
        if placed == DROP:
            continue
        first = phase.frames - placed - 1  # the stream index of the first frame written now
        for index in range(first, phase.frames):
            if index % phase.segment_frames == 0 and index > 0:
                out.append(now % 1.0)
    return out


def ticks(start: float, n: int, jitter: float = 0.0, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [start + i * FRAME_SECONDS + rng.uniform(0, jitter) for i in range(n)]


def test_the_first_frame_is_preceded_by_silence_up_to_the_phase() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    assert phase.place(1000.37) == 26  # (0.37 - 0.85) mod 1 = 0.52 s before it
    assert all(phase.place(t) == 0 for t in ticks(1000.39, 500))
    assert phase.filled == 0 and phase.dropped == 0


def test_boundaries_fall_at_the_phase_of_every_second() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    seen = boundary_phases(phase, ticks(5000.123, 50 * 20))
    assert len(seen) == 20  # 1,000 frames after 36 of lead silence
    assert all(abs(s - PHASE) < 0.011 for s in seen), seen


def test_ordinary_lateness_of_ticks_inserts_and_drops_nothing() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    seen = boundary_phases(phase, ticks(70.9, 50 * 60, jitter=0.08))
    assert phase.filled == 0 and phase.dropped == 0
    assert all(PHASE - 0.01 < s < PHASE + 0.09 for s in seen)


def test_skipped_ticks_are_filled_with_silence_so_the_phase_holds() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    before = ticks(300.0, 120)
    after = ticks(before[-1] + FRAME_SECONDS + 0.3, 200)  # a stall: 15 ticks never came
    seen = boundary_phases(phase, before + after)
    assert phase.filled == 15
    assert all(abs(s - PHASE) < 0.011 for s in seen), seen


def test_a_long_stall_keeps_the_phase_without_seconds_of_silence() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    before = ticks(300.0, 100)
    after = ticks(before[-1] + FRAME_SECONDS + 12.3, 200)
    seen = boundary_phases(phase, before + after)
    assert phase.filled == 15  # 615 missed frames: 12 whole segments skipped, 15 frames filled
    assert all(abs(s - PHASE) < 0.011 for s in seen), seen


def test_a_clock_stepped_back_a_little_drops_frames_until_in_step_again() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    before = ticks(300.0, 100)
    after = ticks(before[-1] + FRAME_SECONDS - 0.2, 200)
    seen = boundary_phases(phase, before + after)
    assert 4 <= phase.dropped <= 6  # back within the tolerance (0.1 s), no further
    assert all(abs(s - PHASE) < 0.11 for s in seen), seen
    assert abs(phase.drift(after[-1] + FRAME_SECONDS)) <= phase.tolerance


def test_a_clock_stepped_back_a_long_way_moves_by_whole_segments() -> None:
    phase = SegmentPhase(PHASE, 1.0)
    before = ticks(300.0, 100)
    after = ticks(before[-1] + FRAME_SECONDS - 30.0, 200)
    seen = boundary_phases(phase, before + after)
    assert phase.dropped <= 5  # not 1,500 frames (30 s) dropped
    assert all(abs(s - PHASE) < 0.11 for s in seen), seen


@pytest.mark.parametrize("bad", [-0.1, 1.0, 3.0])
def test_a_phase_is_a_fraction_of_a_second(bad: float) -> None:
    with pytest.raises(ValueError, match="fraction of a second"):
        SegmentPhase(bad, 1.0)


def test_no_fill_comes_near_the_writers_backlog_bound() -> None:
    # The writer gives up when 5 s of frames wait to be encoded.
    phase = SegmentPhase(PHASE, 1.0)
    before = ticks(300.0, 100)
    after = ticks(before[-1] + FRAME_SECONDS + 4.5, 100)  # a 4.5 s stall
    boundary_phases(phase, before + after)
    assert phase.filled == 25  # 225 frames missed: the phase kept, 4 s not filled
