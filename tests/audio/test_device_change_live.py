"""Devices that disappear mid-room are reported and replaced by the default;
the room goes on. A person without a microphone can still listen."""

import asyncio
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.audio.engine import DeviceEvent
from app.audio.prefs import DevicePreferences
from app.audio.virtual import VirtualPulse
from app.dsp.signals import to_int16, tone
from app.media.wavfile import write_wav
from app.server.app import RunningServer
from tests.support.pulse import Parec, play, plug_headphones, plug_headset
from tests.voice.helpers import hears

from .helpers import DeviceMember


def tone_file(path: Path, freq: float, seconds: float = 30.0) -> Path:
    write_wav(path, to_int16(tone(freq, int(48_000 * seconds), amplitude=0.3)))
    return path


async def heard_on(sink: str, path: Path, seconds: float = 1.5) -> NDArray[np.int16]:
    rec = Parec(path, sink)
    try:
        await rec.ready()
        await asyncio.sleep(seconds)
    finally:
        audio = rec.stop()
    return audio[-int(48_000 * (seconds - 0.3)) :]


async def until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def until_heard(sink: str, tmp: Path, freq: float, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not hears(await heard_on(sink, tmp / f"{sink}-{freq}.raw"), freq):
        assert time.monotonic() < deadline, f"{freq} Hz not heard on {sink}"


def lost(events: list[DeviceEvent], direction: str, name: str) -> DeviceEvent | None:
    return next((e for e in events if e.direction == direction and e.lost == name), None)


async def test_unplugged_headset_and_headphones_fall_back_to_the_defaults(
    sound: VirtualPulse, server: RunningServer, tmp_path: Path
) -> None:
    headset, headphones = plug_headset(sound), plug_headphones(sound)
    speaker = await DeviceMember.sign_in(
        server.url, "speaker", DevicePreferences(input="headset"), playback=False
    )
    listener = await DeviceMember.sign_in(
        server.url, "listener", DevicePreferences(output="headphones")
    )
    players: list[subprocess.Popen[bytes]] = []
    try:
        room = await speaker.client.create_room("Unplugged")
        await listener.client.join(room.room_id)
        await speaker.start_audio()
        await listener.start_audio()
        assert speaker.engine.input_device and speaker.engine.input_device.name == "headset"
        assert listener.engine.output_device
        assert listener.engine.output_device.name == "headphones"
        await speaker.link.press()
        players.append(play(tone_file(tmp_path / "440.wav", 440), "hsfeed"))
        players.append(play(tone_file(tmp_path / "660.wav", 660), "micfeed"))
        await until_heard("phones", tmp_path, 440)

        sound.unload(headset)  # the headset's microphone is unplugged
        await until(lambda: lost(speaker.events, "input", "headset") is not None, "input event")
        await until_heard("phones", tmp_path, 660)  # now from the default microphone

        sound.unload(headphones)  # and the headphones
        await until(lambda: lost(listener.events, "output", "headphones") is not None, "event")
        await until_heard("spk", tmp_path, 660)  # on the default speakers

        # Still in the same room, on the same peer connection.
        for member in (speaker, listener):
            assert member.client.model is not None
            assert member.client.model.room_id == room.room_id
            assert member.link.rebuilds == 0
    finally:
        for p in players:
            p.kill()
            p.wait()
        await speaker.close()
        await listener.close()
    event = lost(speaker.events, "input", "headset")
    assert event is not None and event.using in ("default", "pulse")
    assert "headset" in event.message()
    assert speaker.engine.recoveries >= 1 and listener.engine.recoveries >= 1


async def test_no_microphone_still_listens(
    sound: VirtualPulse, server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    speaker = await DeviceMember.sign_in(server.url, "speaker", playback=False)
    listener = await DeviceMember.sign_in(server.url, "listener")
    player = None
    try:
        room = await speaker.client.create_room("No mic")
        await listener.client.join(room.room_id)
        await speaker.start_audio()
        # A machine whose only microphone cannot be opened.
        monkeypatch.setenv("PULSE_SOURCE", "no-such-microphone")
        await listener.start_audio()
        monkeypatch.delenv("PULSE_SOURCE")
        assert listener.engine.input_device is None
        assert listener.events and listener.events[0].direction == "input"
        assert listener.events[0].using is None
        await speaker.link.press()
        player = play(tone_file(tmp_path / "440.wav", 440), "micfeed")
        await until_heard("spk", tmp_path, 440)
    finally:
        if player is not None:
            player.kill()
            player.wait()
        await speaker.close()
        await listener.close()
