"""Opus in-band FEC and libopus's own concealment, on espeak-ng speech."""

import numpy as np
import pytest

from app.bench.speech import near_speech
from app.dsp import FRAME_SAMPLES
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.jitter_buffer import PlayoutBuffer
from app.dsp.quality import longest_gap_ms, similarity
from app.dsp.signals import ToneSource
from app.media.opus import VOICE_COMPLEXITY, OpusDecoder, OpusEncoder
from app.media.opus_playout import OpusPlayout

F = 0.020


class Packet:
    def __init__(self, seq: int, payload: bytes) -> None:
        self.sequence_number = seq & 0xFFFF
        self.timestamp = (seq * FRAME_SAMPLES) & 0xFFFFFFFF
        self.payload = payload
        self.payload_type = 111


def speech_frames() -> list[np.ndarray]:
    pcm = near_speech()
    pcm = np.concatenate([pcm, np.zeros(-len(pcm) % FRAME_SAMPLES, dtype=np.int16)])
    return [pcm[i : i + FRAME_SAMPLES] for i in range(0, len(pcm), FRAME_SAMPLES)]


def played_through(
    fec: bool, lost: set[int], complexity: int | None = None
) -> tuple[np.ndarray, np.ndarray, OpusPlayout]:
    """Speech encoded (FEC on or off), packets in ``lost`` dropped, the rest
    arriving on time; a 20 ms clock pulls the playout."""
    frames = speech_frames()
    encoder = OpusEncoder(fec=fec, complexity=complexity)
    playout = OpusPlayout(PlayoutBuffer(min_delay_ms=4.0, initial_delay_ms=30.0))
    out = []
    silence = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    for n in range(len(frames) + 3):
        if n < len(frames):
            payload = encoder.encode(frames[n])
            if n not in lost:
                playout.push(Packet(n, payload), n * F)
        pcm = playout.pull(n * F + 0.005)
        out.append(pcm if pcm is not None else silence)
    return np.concatenate(frames), np.concatenate(out), playout


@pytest.mark.parametrize("complexity", [None, VOICE_COMPLEXITY])  # the server's, the speaker's
def test_fec_rebuilds_lost_frames_better_than_concealment(complexity: int | None) -> None:
    rng = np.random.default_rng(5)
    n = len(speech_frames())
    lost = {int(i) for i in np.flatnonzero(rng.random(n) < 0.05) if 2 < i < n - 2}
    assert len(lost) >= 5
    ref, with_fec, playout = played_through(True, lost, complexity)
    _, without, _ = played_through(False, lost, complexity)
    a, b = similarity(ref, with_fec), similarity(ref, without)
    print(f"5 % loss: FEC {a.median:.3f}/{a.mean:.3f}, PLC only {b.median:.3f}/{b.mean:.3f}")
    # A loss whose successor is here is rebuilt from it; two in a row: the first is concealed.
    recoverable = len([n for n in lost if n + 1 not in lost])
    assert playout.stats().lost == len(lost)
    assert playout.stats().recovered == recoverable
    assert a.mean > b.mean + 0.01
    assert a.median >= 0.9
    assert longest_gap_ms(ref, with_fec, a) <= 60.0


def test_codec_concealment_continues_the_sound_and_fades() -> None:
    encoder, decoder, source = OpusEncoder(), OpusDecoder(), ToneSource(330.0)
    for _ in range(25):
        decoder.decode(encoder.encode(source.next_frame()))
    first = decoder.conceal()
    assert abs(peak_frequency(first) - 330.0) < 10.0  # the tone goes on, not a click or silence
    assert rms_dbfs(first) > -30.0
    later = [decoder.conceal() for _ in range(10)][-1]
    assert rms_dbfs(later) < rms_dbfs(first) - 20.0  # and dies away when nothing comes


def test_recovering_from_a_packet_without_fec_conceals_instead() -> None:
    encoder, decoder, source = OpusEncoder(fec=False), OpusDecoder(), ToneSource(330.0)
    for _ in range(10):
        decoder.decode(encoder.encode(source.next_frame()))
    pcm = decoder.recover(encoder.encode(source.next_frame()))
    assert pcm.shape == (FRAME_SAMPLES,)
    assert decoder.recover(b"\xff\xff\xff").shape == (FRAME_SAMPLES,)  # garbage: PLC


def test_the_speakers_lower_complexity_keeps_speech_as_the_servers_does() -> None:
    frames = speech_frames()
    ref = np.concatenate(frames)
    heard = []
    for complexity in (None, VOICE_COMPLEXITY):
        encoder, decoder = OpusEncoder(complexity=complexity), OpusDecoder()
        heard.append(np.concatenate([decoder.decode(encoder.encode(f)) for f in frames]))
    server, speaker = (similarity(ref, h) for h in heard)
    print(f"speech through Opus: complexity 10 {server.mean:.3f}, 5 {speaker.mean:.3f}")
    assert speaker.mean >= 0.95
    assert speaker.mean >= server.mean - 0.01
    with pytest.raises(ValueError, match="complexity"):
        OpusEncoder(complexity=11)
