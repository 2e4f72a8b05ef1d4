"""The bot's voice and ears: speak a file with push-to-talk held, and pull the
room's audio on a 20 ms clock as a sound card would, keeping it for --record."""

import asyncio
import contextlib
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.bot.floor import Say, wait_for_floor
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.dsp import FRAME_SECONDS
from app.media.wavfile import FileSource, read_audio, write_wav

RELEASE_TAIL = 0.3  # s held after the last word, so it is not clipped


class BotAudio:
    def __init__(self, client: RoomClient, keep: bool, say: Say = lambda text: None) -> None:
        self._client = client
        self._say = say
        self._playing = FileSource(np.zeros(0, dtype=np.int16))
        self.link = VoiceLink(client, lambda: self._playing.next_frame())
        self._keep = keep
        self._heard: list[NDArray[np.int16]] = []
        self._ear: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.link.start()
        await asyncio.wait_for(self.link.connected.wait(), 30)
        self._ear = asyncio.get_running_loop().create_task(self._listen())

    async def speak(self, path: Path) -> float:
        """Speak the file with push-to-talk held; returns its length in seconds.
        Under floor control it starts once it holds the floor, so nothing is lost."""
        source = FileSource(read_audio(path))
        await self.link.press()
        await wait_for_floor(self._client, self._say)
        self._playing = source
        # The track reads the source in real time; the tail covers its start-up.
        await asyncio.sleep(source.seconds + RELEASE_TAIL)
        await self.link.release()
        return source.seconds

    def save(self, path: Path) -> None:
        heard = np.concatenate(self._heard) if self._heard else np.zeros(0, dtype=np.int16)
        write_wav(path, heard)

    def stats(self) -> dict[str, object]:
        stats = self.link.stats()
        data: dict[str, object] = dict(stats.as_dict()) if stats is not None else {}
        data["reconnects"] = self.link.rebuilds
        # Mouth-to-ear latency needs the sender's clock: panggung-bench latency measures it.
        data["latency_ms"] = None
        return data

    async def close(self) -> None:
        if self._ear is not None:
            self._ear.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ear
        await self.link.close()

    async def _listen(self) -> None:
        start, n = time.monotonic(), 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - time.monotonic()))
            frame = self.link.next_frame()
            if self._keep:
                self._heard.append(frame)
