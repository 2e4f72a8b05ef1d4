"""The listening side of `panggung-bench devices`, as its own process: what the
desktop app does for audio (RoomClient + VoiceLink + AudioEngine, in the
audience: microphone closed until it would go on stage or press push-to-talk),
so that its memory and CPU can be measured.

    python -m app.bench.device_listener URL ROOM_ID SECONDS
    python -m app.bench.device_listener --speak URL
    python -m app.bench.device_listener --floor SECONDS

Prints "ready" once audio flows, then one JSON line of engine and playout
statistics after SECONDS. ``--floor``: no room, no network; the engine only
plays a fixed frame on the default speakers, and the JSON has the process's
CPU over SECONDS: what the sound devices alone cost. ``--speak``: the
speaker, as the desktop app is on the stage: it creates a room (prints
"room ROOM_ID"), captures the default microphone with the voice processing
on (echo cancellation fed by its own speakers, which play the room: here
its N-1 mix, silent), holds push-to-talk, prints "ready", and when its standard input closes,
one JSON line of its engine's statistics.
"""

import asyncio
import json
import sys
import time

import numpy as np

from app.audio.engine import AudioEngine
from app.audio.processing import ProcessingSettings
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.dsp import FRAME_SAMPLES

PASSWORD = "bench-password-1"


async def listen(url: str, room_id: str, seconds: float) -> dict[str, float]:
    client = RoomClient(url, client_name="bench-listener")
    await client.connect()
    await client.register("listener", PASSWORD)
    await client.join(room_id)
    engine = AudioEngine(capture=False)  # opened by engine.set_capture(True) on stage
    link = VoiceLink(client, frames=engine.frames)
    engine.play(link.next_device_frame)
    try:
        await engine.start()
        await link.start()
        await asyncio.wait_for(link.connected.wait(), 30)
        print("ready", flush=True)
        await asyncio.sleep(seconds)
        stats = engine.stats()
        playout = link.stats()
        tap = link.peer.tap if link.peer is not None else None
        taps = {"tap_fast": tap.fast, "tap_slow": tap.slow} if tap is not None else {}
        return {**stats, **(playout.as_dict() if playout else {}), **taps}
    finally:
        await link.close()
        await engine.stop()
        await client.close()


async def speak(url: str) -> dict[str, float]:
    client = RoomClient(url, client_name="bench-speaker")
    await client.connect()
    await client.register("speaker", PASSWORD)
    room = await client.create_room("devices")
    print(f"room {room.room_id}", flush=True)
    engine = AudioEngine(processing=ProcessingSettings())
    link = VoiceLink(client, frames=engine.frames)
    engine.play(link.next_device_frame)
    try:
        await engine.start()
        await link.start()
        await asyncio.wait_for(link.connected.wait(), 30)
        await link.press()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the benchmark is done with us
        return engine.stats()
    finally:
        await link.close()
        await engine.stop()
        await client.close()


async def floor(seconds: float) -> dict[str, float]:
    engine = AudioEngine(capture=False)
    frame = (np.sin(np.arange(FRAME_SAMPLES) * 2 * np.pi / 48) * 8000).astype(np.int16)  # 1 kHz
    engine.play(lambda: frame)
    try:
        await engine.start()
        await asyncio.sleep(1.0)  # past the stream's start-up
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu = (time.process_time() - cpu0) / (time.monotonic() - t0) * 100
        return {"cpu_percent": cpu, **engine.stats()}
    finally:
        await engine.stop()


def main() -> None:
    if sys.argv[1] == "--speak":
        print(json.dumps(asyncio.run(speak(sys.argv[2]))), flush=True)
        return
    if sys.argv[1] == "--floor":
        print(json.dumps(asyncio.run(floor(float(sys.argv[2])))), flush=True)
        return
    url, room_id, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    print(json.dumps(asyncio.run(listen(url, room_id, seconds))), flush=True)


if __name__ == "__main__":
    main()
