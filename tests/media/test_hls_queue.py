"""PcmQueue: a second of audio at a time in, 20 ms frames out, bounded delay."""

import numpy as np

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.media.client.hls import PcmQueue


def ramp(seconds: float, start: int = 0) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    return ((np.arange(start, start + n) % 30_000) + 1).astype(np.int16)


def test_it_waits_until_primed_then_plays_in_order() -> None:
    queue = PcmQueue(max_seconds=4.0, prime_seconds=1.0)
    queue.push(ramp(0.5))
    assert not queue.pull().any()  # not primed yet: silence, nothing consumed
    assert queue.buffered_seconds == 0.5
    queue.push(ramp(0.5, start=SAMPLE_RATE // 2))
    out = np.concatenate([queue.pull() for _ in range(50)])
    assert np.array_equal(out, ramp(1.0))  # every sample, in order, none lost
    assert queue.underruns == 0


def test_running_dry_counts_and_primes_again() -> None:
    queue = PcmQueue(prime_seconds=0.1)
    queue.push(ramp(0.2)[: 5 * FRAME_SAMPLES + 100])
    frames = [queue.pull() for _ in range(6)]
    assert frames[5][:100].all() and not frames[5][100:].any()  # the rest padded with silence
    assert queue.underruns == 1 and not queue.playing
    queue.push(ramp(0.05))
    assert not queue.pull().any()  # primes again before playing on
    assert queue.underruns == 1


def test_a_burst_beyond_the_bound_drops_the_oldest_audio() -> None:
    queue = PcmQueue(max_seconds=2.0, prime_seconds=0.5)
    queue.push(ramp(3.0))
    assert queue.buffered_seconds == 2.0 and queue.dropped == SAMPLE_RATE
    assert np.array_equal(queue.pull(), ramp(3.0)[SAMPLE_RATE : SAMPLE_RATE + FRAME_SAMPLES])
