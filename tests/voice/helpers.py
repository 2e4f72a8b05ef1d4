"""Members with real audio links to a real server on 127.0.0.1."""

import asyncio
import contextlib
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.dsp.analysis import rms_dbfs, tone_power_ratio

PASSWORD = "correct horse battery"
FRAME = 960
Source = Callable[[], NDArray[np.int16]]


def silence() -> NDArray[np.int16]:
    return np.zeros(FRAME, dtype=np.int16)


class Member:
    """A signed-in client with a voice link and an ear: it pulls the room's
    audio every 20 ms, as a sound card would, and keeps what it heard."""

    def __init__(self, client: RoomClient, link: VoiceLink) -> None:
        self.client = client
        self.link = link
        self.heard: list[NDArray[np.int16]] = []
        self._ear: asyncio.Task[None] | None = None

    @classmethod
    async def sign_in(cls, url: str, name: str, source: Source = silence) -> "Member":
        client = RoomClient(url, client_name="test", reconnect=True)
        await client.connect()
        await client.register(name, PASSWORD)
        return cls(client, VoiceLink(client, source))

    @property
    def user_id(self) -> int:
        return self.client.user_id

    async def start_audio(self) -> None:
        await self.link.start()
        await asyncio.wait_for(self.link.connected.wait(), 20)
        self._ear = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        start = time.monotonic()
        n = 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
            self.heard.append(self.link.next_frame())

    async def record(self, seconds: float) -> NDArray[np.int16]:
        """What this member hears over the next `seconds`."""
        mark = len(self.heard)
        await asyncio.sleep(seconds)
        return np.concatenate(self.heard[mark:]) if len(self.heard) > mark else silence()

    async def close(self) -> None:
        if self._ear is not None:
            self._ear.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ear
        await self.link.close()
        await self.client.close()


def hears(audio: NDArray[np.int16], freq: float) -> bool:
    return rms_dbfs(audio) > -40 and tone_power_ratio(audio, freq) > 0.15


def silent(audio: NDArray[np.int16]) -> bool:
    return rms_dbfs(audio) < -50


async def until_heard(member: Member, freq: float, timeout: float = 10.0) -> None:
    """Wait until `freq` is clearly in what the member hears (a settled 0.5 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hears(await member.record(0.5), freq):
            return
    raise AssertionError(f"{freq} Hz not heard within {timeout} s")


def windowed_similarity(reference: NDArray[np.int16], heard: NDArray[np.int16]) -> float:
    """Median, over 250 ms windows of `reference` with speech in them, of the best
    normalised correlation with `heard` near the overall alignment (±60 ms) —
    robust to a playout buffer that shifts timing by a frame mid-utterance,
    which a single global alignment is not."""
    from app.dsp.analysis import normalized_xcorr

    lag, _ = normalized_xcorr(reference, heard)
    window, slack = 12_000, 2_880
    ref = reference.astype(np.float64)
    got = heard.astype(np.float64)
    scores = []
    for start in range(0, len(ref) - window, window):
        part = ref[start : start + window]
        if rms_dbfs(reference[start : start + window]) < -35:
            continue  # pauses between words say nothing
        lo = max(0, start + lag - slack)
        hi = min(len(got) - window, start + lag + slack)
        best = 0.0
        for offset in range(lo, hi + 1, 48):  # 1 ms steps
            seg = got[offset : offset + window]
            norm = float(np.sqrt(np.dot(part, part) * np.dot(seg, seg)))
            if norm > 0:
                best = max(best, float(np.dot(part, seg)) / norm)
        scores.append(best)
    return float(np.median(scores)) if scores else 0.0


def best_match_similarity(heard: NDArray[np.int16], reference: NDArray[np.int16]) -> float:
    """Median, over 250 ms windows of `heard` with speech in them, of the best
    normalised correlation with *any* stretch of `reference`.

    Each window is aligned on its own: for a long-running room whose voices
    take turns on their own clocks (the demo), the turns drift against a fixed
    reference, so one overall alignment would punish timing, not sound.
    Compared at 8 kHz (block means of 6 samples: speech's band, 36x less work).
    """

    def at_8k(audio: NDArray[np.int16]) -> NDArray[np.float64]:
        usable = len(audio) - len(audio) % 6
        blocks: NDArray[np.float64] = audio[:usable].astype(np.float64).reshape(-1, 6)
        means: NDArray[np.float64] = blocks.mean(axis=1)
        return means

    window = 2_000
    ref, got = at_8k(reference), at_8k(heard)
    size = 1 << (len(ref) + window - 1).bit_length()
    ref_spectrum = np.fft.rfft(ref, size)
    # Energy of every reference stretch of `window` samples, by running sums.
    cumulative = np.concatenate(([0.0], np.cumsum(ref * ref)))
    energy = np.maximum(cumulative[window:] - cumulative[:-window], 1e-9)
    scores = []
    for start in range(0, len(got) - window + 1, window):
        part = got[start : start + window]
        if rms_dbfs(heard[start * 6 : (start + window) * 6]) < -35:
            continue  # pauses between words say nothing
        dots = np.fft.irfft(np.conj(np.fft.rfft(part, size)) * ref_spectrum, size)
        norms = np.sqrt(energy * float(np.dot(part, part)))
        scores.append(float(np.max(dots[: len(energy)] / norms)))
    return float(np.median(scores)) if scores else 0.0
