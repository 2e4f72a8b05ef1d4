"""OpusPlayout.next_device_frame: a sound device's pull phase moves to the packets'.

A simulated device asks for 10 ms every 10 ms and pulls a frame whenever the
one it holds is used up, like app/audio's Playback; packets arrive every
20 ms. Real Opus packets, so what is heard is checked too.
"""

import numpy as np

from app.dsp import FRAME_SAMPLES
from app.dsp.jitter_buffer import PlayoutBuffer
from app.dsp.signals import ToneSource
from app.media.opus import OpusDecoder, OpusEncoder
from app.media.opus_playout import OpusPlayout
from app.media.rtp_tap import RtpHeader

F = 0.020


def packets(pcm: list[np.ndarray]) -> list[bytes]:
    encoder = OpusEncoder()
    return [encoder.encode(frame) for frame in pcm]


def simulate(
    payloads: list[bytes], first_pull: float, ms: int
) -> tuple[OpusPlayout, list[float], np.ndarray]:
    """Packets arrive at n*F + 1 ms; the device asks every 10 ms from ``first_pull``.
    Returns the playout, its median wait every half second, and what was played."""
    playout = OpusPlayout(PlayoutBuffer(min_delay_ms=4.0, initial_delay_ms=4.0))
    arrivals = [n * F + 0.001 for n in range(len(payloads))]
    held = np.zeros(0, dtype=np.int16)
    out: list[np.ndarray] = []
    waits: list[float] = []
    sent = 0
    for k in range(ms // 10):
        now = first_pull + k * 0.010
        while sent < len(payloads) and arrivals[sent] <= now:
            seq = sent + 1000
            playout.push(RtpHeader(seq, seq * FRAME_SAMPLES, payloads[sent], 111), arrivals[sent])
            sent += 1
        if len(held) == 0:
            held = playout.next_device_frame(now)
        if k % 50 == 49:
            waits.append(playout.stats().delay_ms)
        out.append(held[:480])
        held = held[480:]
    return playout, waits, np.concatenate(out)


def test_quiet_audio_moves_the_pull_half_a_frame_sooner() -> None:
    quiet = [np.zeros(FRAME_SAMPLES, dtype=np.int16) for _ in range(200)]
    # Pulls land 19 ms after each arrival: 15 ms more than the 4 ms target.
    playout, waits, _ = simulate(packets(quiet), first_pull=0.020, ms=3600)
    stats = playout.stats()
    assert stats.shifted == 1, stats
    assert stats.concealed == 0 and stats.underruns == 0
    assert abs(waits[0] - 19.0) < 0.5
    assert abs(waits[-1] - 9.0) < 0.5  # 10 ms less delay, for good


def test_speech_is_not_cut_to_move_the_phase() -> None:
    loud = [ToneSource(440.0, amplitude=0.3).next_frame() for _ in range(200)]
    playout, _, heard = simulate(packets(loud), first_pull=0.018, ms=3600)
    assert playout.stats().shifted == 0  # never quiet: the frame drop's job, after 3 s
    # What was played is what was sent, decoded in order (no half frame missing).
    decoder = OpusDecoder()
    sent = np.concatenate([decoder.decode(p) for p in packets(loud)])
    n = 100 * FRAME_SAMPLES
    assert np.array_equal(heard[:n], sent[:n])


def test_small_spare_time_is_kept() -> None:
    quiet = [np.zeros(FRAME_SAMPLES, dtype=np.int16) for _ in range(200)]
    # 9 ms after arrival: 5 ms spare, less than half a frame plus the margin.
    playout, waits, _ = simulate(packets(quiet), first_pull=0.010, ms=3600)
    assert playout.stats().shifted == 0
    assert all(abs(w - 9.0) < 0.5 for w in waits)
