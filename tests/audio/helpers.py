"""Room members whose audio goes through real sound devices."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.audio.engine import AudioEngine, DeviceEvent
from app.audio.prefs import DevicePreferences
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.media.wavfile import read_audio

PASSWORD = "correct horse battery"
RATE = 48_000


def espeak(path: Path, text: str) -> NDArray[np.int16]:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return read_audio(path)


class DeviceMember:
    """What the desktop does for audio: RoomClient + VoiceLink + AudioEngine."""

    def __init__(self, client: RoomClient, engine: AudioEngine, events: list[DeviceEvent]) -> None:
        self.client = client
        self.engine = engine
        self.events = events  # what the engine reported (its on_event)
        self.link = VoiceLink(client, frames=engine.frames)
        engine.play(self.link.next_frame)

    @classmethod
    async def sign_in(
        cls,
        url: str,
        name: str,
        prefs: DevicePreferences | None = None,
        *,
        capture: bool = True,
        playback: bool = True,
    ) -> DeviceMember:
        client = RoomClient(url, client_name="test", reconnect=True)
        await client.connect()
        await client.register(name, PASSWORD)
        events: list[DeviceEvent] = []
        engine = AudioEngine(prefs, on_event=events.append, capture=capture, playback=playback)
        return cls(client, engine, events)

    async def start_audio(self) -> None:
        await self.engine.start()
        await self.link.start()
        await asyncio.wait_for(self.link.connected.wait(), 30)

    async def close(self) -> None:
        await self.link.close()
        await self.engine.stop()
        await self.client.close()
