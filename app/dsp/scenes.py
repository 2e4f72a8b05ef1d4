"""Simulated acoustic scenes for voice-processing measurements (plain numpy).

- ``laptop_echo``: what a laptop's microphone picks up from its own speakers:
  small speakers (no bass below ~200 Hz), a direct path ``delay_ms`` later at about
  ``gain_db``, and a short decaying reflection tail from the lid and the room.
- ``fan_noise``: stationary noise like a laptop fan: a broadband rush that
  falls with frequency plus the blade-pass hum and its harmonics.
- ``echo_scene``: a conversation through that laptop: the far end alone (the
  echo canceller converges), both talking at once, the near end alone, the
  far end alone again, with masks of where each stretch is.
- ``noise_scene``: the near end talking over fan noise at a given SNR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.dsp import SAMPLE_RATE

SECOND = SAMPLE_RATE
MIC_FLOOR_DBFS = -65.0  # a laptop microphone's own hiss


def _to_int16(x: NDArray[np.float64]) -> NDArray[np.int16]:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _shaped_noise(
    n: int, rng: np.random.Generator, slope_db_per_octave: float
) -> NDArray[np.float64]:
    """Gaussian noise whose spectrum falls by ``slope`` per octave above 100 Hz, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE), 100.0)
    spectrum *= (freqs / 100.0) ** (slope_db_per_octave / (20.0 * np.log10(2.0)))
    out = np.fft.irfft(spectrum, n)
    rms = float(np.sqrt(np.mean(out * out)))
    return out / rms if rms > 0 else out


def laptop_echo_path(
    delay_ms: float, gain_db: float = -6.0, rng: np.random.Generator | None = None
) -> NDArray[np.float64]:
    """Impulse response speakers -> microphone: direct path at ``delay_ms`` and
    ``gain_db``, then reflections decaying by 60 dB in 150 ms, 12 dB below it."""
    rng = rng or np.random.default_rng(15)
    delay = round(delay_ms * SAMPLE_RATE / 1000)
    tail = int(0.15 * SAMPLE_RATE)
    h = np.zeros(delay + 1 + tail)
    direct = 10 ** (gain_db / 20)
    h[delay] = direct
    decay = np.exp(-np.arange(1, tail + 1) * (np.log(1000.0) / tail))
    reflections = rng.standard_normal(tail) * decay
    reflections *= direct * 10 ** (-12 / 20) / float(np.sqrt(np.sum(reflections**2)))
    h[delay + 1 :] = reflections
    return h


def laptop_echo(
    far: NDArray[np.int16], delay_ms: float, gain_db: float = -6.0, seed: int = 15
) -> NDArray[np.float64]:
    """The far end's audio as the laptop's microphone hears it from its speakers."""
    h = laptop_echo_path(delay_ms, gain_db, np.random.default_rng(seed))
    size = 1 << (len(far) + len(h)).bit_length()
    # The speakers: a first-order high-pass at 200 Hz (a small speaker has no bass).
    ratio = 1j * np.fft.rfftfreq(size, 1.0 / SAMPLE_RATE) / 200.0
    speaker = ratio / (1.0 + ratio)
    spectrum = np.fft.rfft(far.astype(np.float64), size) * speaker * np.fft.rfft(h, size)
    return np.fft.irfft(spectrum, size)[: len(far)]


def fan_noise(n: int, rng: np.random.Generator, rms_dbfs: float = -30.0) -> NDArray[np.float64]:
    """``n`` samples of fan-like stationary noise at ``rms_dbfs``."""
    rush = _shaped_noise(n, rng, -4.5)
    t = np.arange(n) / SAMPLE_RATE
    blade = 118.0  # Hz: the blades' pass frequency, and harmonics
    hum = sum(
        (0.25 / k) * np.sin(2 * np.pi * blade * k * t + rng.uniform(0, 2 * np.pi))
        for k in (1, 2, 3, 4)
    )
    noise = rush + hum
    noise /= float(np.sqrt(np.mean(noise * noise)))
    return noise * 32768.0 * 10 ** (rms_dbfs / 20)


def active_mask(clean: NDArray[np.int16], block: int = SAMPLE_RATE // 100) -> NDArray[np.bool_]:
    """Per sample: inside a 10 ms block where ``clean`` speech is louder than -40 dBFS."""
    x = clean.astype(np.float64)
    n = len(x) // block * block
    power = np.mean((x[:n].reshape(-1, block) / 32768.0) ** 2, axis=1)
    blocks = 10 * np.log10(np.maximum(power, 1e-12)) > -40.0
    mask = np.zeros(len(x), dtype=bool)
    mask[:n] = np.repeat(blocks, block)
    return mask


@dataclass(frozen=True)
class EchoScene:
    far: NDArray[np.int16]  # what the speakers play: the echo canceller's reference
    mic: NDArray[np.int16]  # echo + near talker + the microphone's hiss
    near: NDArray[np.int16]  # the near talker alone (the clean original)
    echo: NDArray[np.int16]  # the echo alone
    far_only: NDArray[np.bool_]  # far end talking alone, after convergence
    double_talk: slice
    near_after: slice  # the near end alone, after the double talk
    delay_ms: float


def echo_scene(
    far_speech: NDArray[np.int16],
    near_speech: NDArray[np.int16],
    delay_ms: float = 60.0,
    gain_db: float = -6.0,
    converge_s: float = 3.0,
    seed: int = 15,
) -> EchoScene:
    """Far alone | far and near together | near alone | far alone again."""
    gap = SECOND // 2
    nf, nn = len(far_speech), len(near_speech)
    a0 = 0
    b0 = a0 + nf + gap  # double talk: the far end again, the near end 1 s into it
    b_near = b0 + SECOND
    b1 = max(b0 + nf, b_near + nn)
    c0 = b1 + gap  # the near end alone
    d0 = c0 + nn + gap  # the far end alone again
    total = d0 + nf + gap
    far = np.zeros(total, dtype=np.int16)
    near = np.zeros(total, dtype=np.int16)
    for start in (a0, b0, d0):
        far[start : start + nf] = far_speech
    for start in (b_near, c0):
        near[start : start + nn] = near_speech
    rng = np.random.default_rng(seed)
    echo = laptop_echo(far, delay_ms, gain_db, seed)
    hiss = rng.standard_normal(total) * 32768.0 * 10 ** (MIC_FLOOR_DBFS / 20)
    mic = _to_int16(echo + near.astype(np.float64) + hiss)
    # The far end alone, where its echo is there: the first stretch after the
    # canceller has had ``converge_s`` of it, and the last stretch whole.
    echo16 = _to_int16(echo)
    far_only = active_mask(echo16)
    far_only[: int(converge_s * SECOND)] = False
    far_only[a0 + nf + int(delay_ms * SAMPLE_RATE / 1000) + SECOND // 5 : d0] = False
    return EchoScene(
        far=far,
        mic=mic,
        near=near,
        echo=echo16,
        far_only=far_only,
        double_talk=slice(b_near, b_near + nn),
        near_after=slice(c0, c0 + nn),
        delay_ms=delay_ms,
    )


@dataclass(frozen=True)
class NoiseScene:
    mic: NDArray[np.int16]
    speech: NDArray[np.int16]  # the clean original, same timeline
    noise: NDArray[np.int16]
    speech_mask: NDArray[np.bool_]  # speech there (10 ms blocks above -40 dBFS)
    noise_mask: NDArray[np.bool_]  # only noise, after the speech (all has settled)
    snr_db: float


def noise_scene(
    speech: NDArray[np.int16], snr_db: float = 5.0, lead_s: float = 3.0, seed: int = 16
) -> NoiseScene:
    """Noise alone for ``lead_s`` (the suppressor learns it), the speech over
    it, then noise alone again for 3 s, where the noise floor is measured
    (the gain control starts high and settles on the first speech, so the
    lead-in says little about the steady state). The SNR is the speech's
    power over its active blocks against the noise's."""
    lead = int(lead_s * SECOND)
    total = lead + len(speech) + 3 * SECOND
    clean = np.zeros(total, dtype=np.int16)
    clean[lead : lead + len(speech)] = speech
    mask = active_mask(clean)
    p_speech = float(np.mean(clean[mask].astype(np.float64) ** 2))
    noise = fan_noise(total, np.random.default_rng(seed), rms_dbfs=0.0)
    noise *= np.sqrt(p_speech / 10 ** (snr_db / 10)) / float(np.sqrt(np.mean(noise * noise)))
    noise_mask = np.zeros(total, dtype=bool)
    noise_mask[lead + len(speech) + SECOND // 2 :] = True
    return NoiseScene(
        mic=_to_int16(clean.astype(np.float64) + noise),
        speech=clean,
        noise=_to_int16(noise),
        speech_mask=mask,
        noise_mask=noise_mask,
        snr_db=snr_db,
    )
