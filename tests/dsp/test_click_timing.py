import numpy as np
import pytest

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.click_timing import FrameTimes, click_times, match_clicks, percentile
from app.dsp.signals import click_train


def test_click_times_use_frame_clock_and_offset_in_frame() -> None:
    signal = click_train(10 * FRAME_SAMPLES, 4 * FRAME_SAMPLES, offset=480)
    times = FrameTimes()
    for k in range(10):
        times.mark(100.0 + k * 0.020 + (0.005 if k >= 4 else 0.0))  # frame 4 on: 5 ms late
    got = click_times(signal, times)  # an onset is a threshold crossing, a few samples in
    assert got == pytest.approx(
        [100.010, 100.095, 100.175], abs=24 / SAMPLE_RATE
    )  # onset = threshold crossing
    assert times.since(4).time_of(0) == pytest.approx(100.085)


def test_match_clicks_pairs_each_received_click_with_one_sent_click() -> None:
    sent = [1.0, 1.3, 1.6, 1.9]
    received = [1.04, 1.35, 1.36, 1.95, 3.0]  # 1.36: an echo; 3.0: nothing sent before it
    latencies, unmatched = match_clicks(sent, received, max_latency=0.25)
    assert latencies == pytest.approx([0.04, 0.05, 0.05])
    assert unmatched == 2


def test_percentile_nearest_rank() -> None:
    values = list(np.arange(1.0, 101.0))
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)
