import numpy as np

from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.media.opus import OpusDecoder, OpusEncoder


def test_round_trip_keeps_the_tone_and_frame_size() -> None:
    encoder, decoder, source = OpusEncoder(), OpusDecoder(), ToneSource(523.0)
    sent, got = [], []
    for _ in range(25):
        frame = source.next_frame()
        sent.append(frame)
        got.append(decoder.decode(encoder.encode(frame)))
    assert all(g.shape == (960,) and g.dtype == np.int16 for g in got)
    heard = np.concatenate(got)
    assert abs(peak_frequency(heard[4800:]) - 523.0) < 3.0
    # A tone correlates at many lags, with either sign: look within a frame
    # for the codec's own delay (its lookahead) and the best positive match.
    ref = np.concatenate(sent).astype(np.float64)
    out = heard.astype(np.float64)
    best = max(
        float(np.dot(ref[: len(ref) - lag], out[lag:]))
        / float(
            np.sqrt(
                np.dot(ref[: len(ref) - lag], ref[: len(ref) - lag]) * np.dot(out[lag:], out[lag:])
            )
        )
        for lag in range(0, 960)
    )
    assert best > 0.9


def test_garbage_decodes_to_nothing_rather_than_raising() -> None:
    assert len(OpusDecoder().decode(b"\xff\xff\xff")) == 0
