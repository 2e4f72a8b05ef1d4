import av
import numpy as np
import pytest

from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media.client.tracks import frame_to_mono
from app.media.opus import OpusEncoder


def test_encode_once_per_frame_and_decode_back() -> None:
    encoder = OpusEncoder()
    source = ToneSource(440.0)
    packets = [encoder.encode(source.next_frame()) for _ in range(50)]
    assert all(packets)
    assert all(len(p) < 400 for p in packets)
    decoder = av.CodecContext.create("libopus", "r")
    decoded = []
    for p in packets:
        for frame in decoder.decode(av.Packet(p)):
            decoded.append(frame_to_mono(frame))
    pcm = np.concatenate(decoded)
    assert peak_frequency(pcm[4800:]) == pytest.approx(440.0, abs=3.0)


def test_rejects_wrong_frame_size() -> None:
    with pytest.raises(ValueError):
        OpusEncoder().encode(np.zeros(480, dtype=np.int16))
