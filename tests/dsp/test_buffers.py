import numpy as np
import pytest

from app.dsp.buffers import FrameQueue


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.int16)


def test_primes_then_hands_out_contiguous_frames() -> None:
    q = FrameQueue(frame_samples=4, prefetch=2, max_frames=10)
    q.push(ramp(0, 3))
    assert q.pop() is None
    q.push(ramp(3, 6))  # chunk sizes unrelated to the frame size
    first = q.pop()
    second = q.pop()
    assert first is not None and first.tolist() == [0, 1, 2, 3]
    assert second is not None and second.tolist() == [4, 5, 6, 7]
    assert len(q) == 1


def test_underrun_reprimes() -> None:
    q = FrameQueue(frame_samples=4, prefetch=2, max_frames=10)
    q.push(ramp(0, 8))
    assert q.pop() is not None
    assert q.pop() is not None
    assert q.pop() is None
    assert q.underruns == 1
    q.push(ramp(8, 4))
    assert q.pop() is None  # priming again: one frame is not enough
    q.push(ramp(12, 4))
    out = q.pop()
    assert out is not None and out.tolist() == [8, 9, 10, 11]


def test_overflow_drops_oldest() -> None:
    q = FrameQueue(frame_samples=4, prefetch=1, max_frames=2)
    q.push(ramp(0, 10))
    assert len(q) == 8
    assert q.dropped_samples == 2
    out = q.pop()
    assert out is not None and out.tolist() == [2, 3, 4, 5]


def test_clear_and_validation() -> None:
    q = FrameQueue(frame_samples=4, prefetch=1, max_frames=2)
    q.push(ramp(0, 4))
    q.push(np.zeros(0, dtype=np.int16))
    q.clear()
    assert len(q) == 0 and q.pop() is None
    with pytest.raises(ValueError):
        FrameQueue(prefetch=3, max_frames=2)
