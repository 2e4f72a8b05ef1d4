"""The speech gate on real speech (the demo's recorded voices), silence, faint
noise and the pauses between words."""

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.dsp import SAMPLE_RATE
from app.dsp.voice_activity import FRAME_S, HANGOVER_S, SpeechGate
from app.media.wavfile import read_audio

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def speech(seconds: float = 3.0) -> NDArray[np.int16]:
    audio = read_audio(DEMO / "01-ayu-en.opus")
    loud = np.flatnonzero(np.abs(audio) > 2000)
    start = int(loud[0]) if len(loud) else 0
    return audio[start : start + round(seconds * SAMPLE_RATE)]


def states(gate: SpeechGate, audio: NDArray[np.int16]) -> list[tuple[float, bool]]:
    """(time, new state) for every change, fed 20 ms at a time as a device does."""
    step = round(FRAME_S * SAMPLE_RATE)
    out = []
    for i in range(0, len(audio) - step + 1, step):
        change = gate.feed(audio[i : i + step])
        if change is not None:
            out.append((i / SAMPLE_RATE, change))
    return out


def silence(seconds: float) -> NDArray[np.int16]:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)


def test_speech_opens_the_gate_soon_and_silence_closes_it_after_the_hangover() -> None:
    gate = SpeechGate()
    changes = states(gate, np.concatenate((silence(1.0), speech(), silence(2.0))))
    opened = [t for t, on in changes if on]
    closed = [t for t, on in changes if not on]
    assert opened and 1.0 <= opened[0] < 1.3  # within a few frames of the first word
    assert closed and closed[-1] > opened[0]
    end_of_speech = 1.0 + 3.0
    assert end_of_speech + HANGOVER_S - 0.1 <= closed[-1] <= end_of_speech + HANGOVER_S + 0.2
    # The pauses between words do not chop the sentence into many presses.
    assert len(opened) <= 3


def test_silence_and_faint_noise_never_open_it() -> None:
    rng = np.random.default_rng(7)
    faint = (rng.normal(0, 30, 5 * SAMPLE_RATE)).astype(np.int16)  # about -60 dBFS
    gate = SpeechGate()
    assert states(gate, np.concatenate((silence(2.0), faint))) == []


def test_any_chunk_length_is_taken_and_reset_closes_it() -> None:
    gate = SpeechGate()
    audio = speech(1.5)
    changed = [gate.feed(audio[i : i + 333]) for i in range(0, len(audio), 333)]
    assert True in changed and gate.open
    gate.reset()
    assert not gate.open
