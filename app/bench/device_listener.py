"""The listening side of `panggung-bench devices`, as its own process: what the
desktop app does for audio (RoomClient + VoiceLink + AudioEngine, microphone
open, push-to-talk released), so that its memory and CPU can be measured.

    python -m app.bench.device_listener URL ROOM_ID SECONDS

Prints "ready" once audio flows, then one JSON line of engine and playout
statistics after SECONDS.
"""

import asyncio
import json
import sys

from app.audio.engine import AudioEngine
from app.client.session import RoomClient
from app.client.voice import VoiceLink

PASSWORD = "bench-password-1"


async def listen(url: str, room_id: str, seconds: float) -> dict[str, float]:
    client = RoomClient(url, client_name="bench-listener")
    await client.connect()
    await client.register("listener", PASSWORD)
    await client.join(room_id)
    engine = AudioEngine()
    link = VoiceLink(client, frames=engine.frames)
    engine.play(link.next_frame)
    try:
        await engine.start()
        await link.start()
        await asyncio.wait_for(link.connected.wait(), 30)
        print("ready", flush=True)
        await asyncio.sleep(seconds)
        stats = engine.stats()
        playout = link.stats()
        return {**stats, **(playout.as_dict() if playout else {})}
    finally:
        await link.close()
        await engine.stop()
        await client.close()


def main() -> None:
    url, room_id, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    print(json.dumps(asyncio.run(listen(url, room_id, seconds))), flush=True)


if __name__ == "__main__":
    main()
