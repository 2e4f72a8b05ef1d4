"""WebRTC's audio processing on simulated laptop scenes, driven with arrays.

Speech is espeak-ng's. The far end plays through the laptop's speakers and
comes back into its microphone 20-100 ms later at about -6 dB with a
reflection tail; the near end talks over it, and alone; a fan hums. The
references for "the speech survives" are the clean originals through the
processor's fixed linear front end (its high-pass and band-split filters,
which shift the phase of the lowest frequencies: on clean speech alone
they already give a correlation of about 0.8 with the raw original, the
same for every input, so comparing against the raw original would measure
them rather than what the echo and the noise did).
"""

from functools import cache

import numpy as np
import pytest
from livekit import rtc
from numpy.typing import NDArray

from app.audio.apm import CHUNK, VoiceProcessor, run_through
from app.audio.processing import OFF, ProcessingSettings
from app.bench.speech import far_speech, near_speech
from app.dsp.quality import erle_db, similarity, snr_db, speech_windows_db
from app.dsp.scenes import EchoScene, NoiseScene, echo_scene, noise_scene

ALL_ON = ProcessingSettings()
DEVICE_DELAY_MS = 40.0  # what PortAudio reports here (20 + 20 ms), whatever the echo's delay


@cache
def scene(delay_ms: float) -> EchoScene:
    return echo_scene(far_speech(), near_speech(), delay_ms)


@cache
def noisy(talker: str = "near") -> NoiseScene:
    return noise_scene(near_speech() if talker == "near" else far_speech(), snr_db=5.0)


def linear(pcm: NDArray[np.int16]) -> NDArray[np.int16]:
    return run_through(VoiceProcessor(OFF), pcm)


def echo_figures(s: EchoScene, settings: ProcessingSettings) -> tuple[float, float]:
    out = run_through(VoiceProcessor(settings, delay_ms=DEVICE_DELAY_MS), s.mic, s.far)
    far_only = s.far_only[: len(out)]
    erle = erle_db(s.mic[: len(out)][far_only], out[far_only])
    after = s.near_after
    near = similarity(linear(s.near)[after], out[after.start : after.stop + CHUNK * 10])
    return erle, near.median


@pytest.mark.parametrize("delay_ms", [20.0, 100.0])
def test_echo_is_cancelled_and_the_near_talker_survives_double_talk(delay_ms: float) -> None:
    erle, near = echo_figures(scene(delay_ms), ALL_ON)
    print(f"echo {delay_ms:.0f} ms: ERLE {erle:.1f} dB, near end after double talk {near:.3f}")
    assert erle >= 25.0
    assert near >= 0.9


def test_without_echo_cancellation_the_echo_stays() -> None:
    erle, _near = echo_figures(scene(60.0), ProcessingSettings(echo_cancellation=False))
    print(f"echo cancellation off: ERLE {erle:.1f} dB")
    assert erle < 10.0


def noise_figures(s: NoiseScene, settings: ProcessingSettings) -> tuple[float, float]:
    out = run_through(VoiceProcessor(settings), s.mic)
    n = len(out)
    speech, noise = s.speech_mask[:n], s.noise_mask[:n]
    gain = snr_db(out, speech, noise) - snr_db(s.mic[:n], speech, noise)
    reference = linear(s.speech)
    # The mean over the windows where the talker speaks (P.56's margin of
    # their active level): every syllable counts, pauses' tails do not.
    return gain, similarity(reference, out, active_db=speech_windows_db(reference)).mean


@pytest.mark.parametrize("talker", ["near", "far"])
def test_fan_noise_is_suppressed_and_the_speech_kept(talker: str) -> None:
    gain, kept = noise_figures(noisy(talker), ALL_ON)
    print(f"fan noise at 5 dB SNR, {talker} talker: SNR +{gain:.1f} dB, speech {kept:.3f}")
    assert gain >= 10.0
    assert kept >= 0.9


def test_without_noise_suppression_the_noise_stays() -> None:
    gain, _kept = noise_figures(noisy(), ProcessingSettings(noise_suppression=False))
    assert abs(gain) < 2.0


def test_any_chunking_gives_the_same_audio_as_10_ms_periods() -> None:
    mic = noisy().mic[: 48_000 * 2]
    whole = run_through(VoiceProcessor(ALL_ON), mic)
    processor, parts, at = VoiceProcessor(ALL_ON), [], 0
    for size in [7, 480, 1000, 333, 960, 2] * 200:
        parts.append(processor.capture(mic[at : at + size]))
        at += size
        if at >= len(mic):
            break
    pieces = np.concatenate(parts)
    assert len(pieces) == len(mic) // CHUNK * CHUNK == len(whole)
    assert np.array_equal(pieces, whole)


def test_switching_a_feature_takes_effect() -> None:
    s = noisy()
    processor = VoiceProcessor(ProcessingSettings(noise_suppression=False))
    first = run_through(processor, s.mic)
    processor.configure(ALL_ON)
    assert processor.settings == ALL_ON
    second = run_through(processor, s.mic)
    n = len(second)
    noise = s.noise_mask[:n]
    # The same noise, 10 dB or more quieter once the suppressor is on.
    assert erle_db(first[noise], second[noise]) > 10.0


def test_prepared_calls_give_what_livekits_own_methods_give() -> None:
    s = scene(60.0)
    mic, far = s.mic[: 48_000 * 3], s.far[: 48_000 * 3]
    ours = run_through(VoiceProcessor(ALL_ON, delay_ms=DEVICE_DELAY_MS), mic, far)
    apm = rtc.AudioProcessingModule(
        echo_cancellation=True,
        noise_suppression=True,
        high_pass_filter=True,
        auto_gain_control=True,
    )
    apm.set_stream_delay_ms(round(DEVICE_DELAY_MS))
    theirs = []
    for i in range(0, len(mic) - CHUNK + 1, CHUNK):
        apm.process_reverse_stream(rtc.AudioFrame(far[i : i + CHUNK].tobytes(), 48_000, 1, CHUNK))
        frame = rtc.AudioFrame(mic[i : i + CHUNK].tobytes(), 48_000, 1, CHUNK)
        apm.process_stream(frame)
        theirs.append(np.frombuffer(frame.data, dtype=np.int16).copy())
    assert np.array_equal(ours, np.concatenate(theirs))
