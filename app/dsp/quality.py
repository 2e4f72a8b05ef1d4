"""Voice quality measurements on real signals: how alike two recordings are,
gaps, echo return loss enhancement, signal-to-noise ratio.

Used by the tests and ``panggung-bench voice``. Audio is 48 kHz mono int16
(or float in the same scale); ``reference`` is what was said, ``heard`` what
came out, somewhat later and with its timing moved now and then by a playout
buffer (a stall adds 20 ms, a shrink removes 20 ms), so alignment is local.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.dsp import SAMPLE_RATE
from app.dsp.analysis import AnyAudio, normalized_xcorr

WINDOW = SAMPLE_RATE // 4  # 250 ms: a syllable or two
SLACK = SAMPLE_RATE // 10  # how far a window's alignment may move from the one before
ACTIVE_DBFS = -40.0  # a 10 ms block of the reference louder than this has speech in it
BLOCK = SAMPLE_RATE // 100  # 10 ms
TOLERANCE = BLOCK  # a gap's edges may be up to this much off (timing moves inside a window)
P56_MARGIN_DB = 15.9  # ITU-T P.56: speech is active down to this far below its active level


def _f64(x: AnyAudio) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _db(power: float) -> float:
    return 10.0 * float(np.log10(power)) if power > 0 else float("-inf")


def block_dbfs(x: AnyAudio, block: int = BLOCK) -> NDArray[np.float64]:
    """RMS level of each whole ``block`` of int16-scaled audio, in dBFS."""
    a = _f64(x)[: len(x) // block * block].reshape(-1, block) / 32768.0
    power = np.mean(a * a, axis=1)
    out: NDArray[np.float64] = 10.0 * np.log10(np.maximum(power, 1e-12))
    return out


def active_speech_level(x: AnyAudio, margin_db: float = P56_MARGIN_DB) -> float:
    """The talker's active speech level in dBFS, in the manner of ITU-T P.56:
    the mean power of the 10 ms blocks louder than that level less
    ``margin_db`` (a fixed point, found by iterating from the overall level)."""
    levels = block_dbfs(x)
    power = 10.0 ** (levels / 10.0)
    level = _db(float(np.mean(power))) if len(power) else float("-inf")
    for _ in range(50):
        active = levels > level - margin_db
        if not active.any():
            break
        new = _db(float(np.mean(power[active])))
        if abs(new - level) < 0.01:
            return new
        level = new
    return level


def speech_windows_db(reference: AnyAudio) -> float:
    """Where ``reference`` has speech, for ``similarity(active_db=...)``: windows
    within P.56's margin of the talker's active level (never below
    ``ACTIVE_DBFS``). Relative to the talker, not to full scale: a window
    17 dB under the voice is a syllable's tail in a pause, not speech."""
    return max(ACTIVE_DBFS, active_speech_level(reference) - P56_MARGIN_DB)


@dataclass(frozen=True)
class Similarity:
    mean: float  # mean over the windows with speech of each one's best correlation
    median: float
    worst: float
    windows: int
    lag: int  # overall alignment of heard against reference, samples
    lags: tuple[int, ...]  # each window's own alignment (pauses: the one before)

    def as_dict(self) -> dict[str, float]:
        return {
            "mean": round(self.mean, 4),
            "median": round(self.median, 4),
            "worst": round(self.worst, 4),
            "windows": self.windows,
            "lag_ms": round(self.lag / SAMPLE_RATE * 1e3, 1),
        }


def _best_match(
    part: NDArray[np.float64], got: NDArray[np.float64], center: int, slack: int
) -> tuple[float, int]:
    """Best normalised correlation of ``part`` with ``got`` at a start within
    ``center`` ± ``slack``: (score, start). Every lag at once, by FFT."""
    window = len(part)
    lo = center - slack
    seg = np.zeros(window + 2 * slack)
    a, b = max(0, lo), min(len(got), lo + window + 2 * slack)
    if b > a:
        seg[a - lo : b - lo] = got[a:b]
    size = 1 << (window + 2 * slack).bit_length()
    corr = np.fft.irfft(np.fft.rfft(seg, size) * np.conj(np.fft.rfft(part, size)), size)
    corr = corr[: 2 * slack + 1]
    energy = np.concatenate(([0.0], np.cumsum(seg * seg)))
    stretch = energy[window : window + 2 * slack + 1] - energy[: 2 * slack + 1]
    norm = np.sqrt(np.maximum(stretch, 0.0) * float(np.dot(part, part)))
    score = np.where(norm > 0, corr / np.where(norm > 0, norm, 1.0), 0.0)
    best = int(np.argmax(score))
    return float(score[best]), lo + best


def similarity(
    reference: AnyAudio,
    heard: AnyAudio,
    *,
    window: int = WINDOW,
    slack: int = SLACK,
    active_db: float = ACTIVE_DBFS,
) -> Similarity:
    """Waveform correlation of ``heard`` with ``reference``, window by window.

    Each 250 ms window of the reference that has speech in it is matched
    against ``heard`` at the lag, within ``slack`` of the previous window's,
    where their normalised correlation is highest; so the alignment follows
    a playout buffer that grows and shrinks by whole frames over a long
    recording (the first: of the overall alignment). Pauses (windows of the
    reference quieter than ``active_db``) are left out: they say nothing
    about the voice. A window whose best match is poor because
    audio there was lost or mangled counts as it is: nothing is dropped.
    """
    ref, got = _f64(reference), _f64(heard)
    lag, _ = normalized_xcorr(ref, got)
    track = lag
    scores: list[float] = []
    lags: list[int] = []
    for start in range(0, len(ref) - window + 1, window):
        part = ref[start : start + window]
        if _db(float(np.mean(part * part)) / 32768.0**2) < active_db:
            lags.append(track)
            continue
        score, found = _best_match(part, got, start + track, slack)
        scores.append(score)
        if score > 0.5:  # a poor match says little about where the audio is
            track = found - start
        lags.append(found - start)
    if not scores:
        return Similarity(0.0, 0.0, 0.0, 0, lag, ())
    return Similarity(
        float(np.mean(scores)),
        float(np.median(scores)),
        float(np.min(scores)),
        len(scores),
        lag,
        tuple(lags),
    )


def longest_gap_ms(
    reference: AnyAudio, heard: AnyAudio, found: Similarity | None = None, drop_db: float = 30.0
) -> float:
    """The longest run, in ms, of 10 ms blocks where the reference has speech
    but ``heard`` (at that window's alignment, give or take ``TOLERANCE``
    for a frame's move of the playout inside the window) is ``drop_db`` or
    more quieter: audio that went missing, as a listener would hear a hole.
    Concealment that fills a loss with sound is not a gap; silence is."""
    found = found if found is not None else similarity(reference, heard)
    ref, got = _f64(reference), _f64(heard)
    ref_db = block_dbfs(ref)
    longest = run = 0
    for k, level in enumerate(ref_db):
        start = k * BLOCK
        window = min(start // WINDOW, len(found.lags) - 1) if found.lags else -1
        lag = found.lags[window] if window >= 0 else found.lag
        heard_db = float("-inf")
        for lo in (start + lag - TOLERANCE, start + lag, start + lag + TOLERANCE):
            part = got[max(0, lo) : max(0, lo + BLOCK)]
            if len(part):
                heard_db = max(heard_db, float(block_dbfs(part, len(part))[0]))
        if level >= ACTIVE_DBFS and heard_db < level - drop_db:
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest * BLOCK / SAMPLE_RATE * 1e3


def erle_db(mic: AnyAudio, out: AnyAudio) -> float:
    """Echo return loss enhancement: how much quieter the processed microphone
    is than the raw one over the same stretch (far end talking alone)."""
    a, b = _f64(mic), _f64(out)
    return _db(float(np.mean(a * a))) - _db(float(np.mean(b * b)) + 1e-3)


def snr_db(audio: AnyAudio, speech: NDArray[np.bool_], noise: NDArray[np.bool_]) -> float:
    """SNR estimated from the signal alone: the power of the stretches with
    speech (``speech`` mask, per sample) less the noise floor, over the noise
    floor measured where only noise is (``noise`` mask). The same estimator
    is applied to the input and the output, so their difference is fair."""
    a = _f64(audio)
    p_speech = float(np.mean(a[speech] ** 2))
    p_noise = float(np.mean(a[noise] ** 2)) + 1e-3
    return _db(max(p_speech - p_noise, 1e-3)) - _db(p_noise)
