"""Mouth-to-ear latency through a real `panggung-server` on 127.0.0.1.

A speaker client holds push-to-talk and sends a click train; a listener
client pulls the room's audio on a 20 ms clock, as a sound card would. Each
click's send time (its frame leaving the speaker's source) is matched with
its arrival (its frame handed to the listener's playback), both on this
machine's monotonic clock. Sound devices are excluded (`devices` measures
those, see the sound-device issue).
"""

import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.bench.signaling import Server
from app.client.session import RoomClient
from app.client.voice_link import VoiceLink
from app.dsp import FRAME_SAMPLES, FRAME_SECONDS
from app.dsp.click_timing import FrameTimes, click_times, match_clicks, percentile
from app.media.loopback_latency import ClickSource

PASSWORD = "bench-password-1"
MAX_LATENCY = 0.25  # s: a click later than this counts as unmatched


@dataclass(frozen=True)
class LatencyResult:
    latencies_ms: list[float]
    sent: int
    received: int
    unmatched: int
    listener: dict[str, float]

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p) if self.latencies_ms else float("nan")


async def _member(url: str, name: str, source: ClickSource | None) -> tuple[RoomClient, VoiceLink]:
    client = RoomClient(url, client_name="bench")
    await client.connect()
    await client.register(name, PASSWORD)
    silent = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    link = VoiceLink(client, source.next_frame if source else (lambda: silent))
    return client, link


async def measure(url: str, clicks: int, interval: float) -> LatencyResult:
    source = ClickSource(clicks, interval)
    speaker, voice = await _member(url, "speaker", source)
    listener, ear = await _member(url, "listener", None)
    heard_times = FrameTimes()
    heard: list[NDArray[np.int16]] = []

    async def play() -> None:  # the listener's "sound card"
        start, n = time.monotonic(), 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - time.monotonic()))
            heard.append(ear.next_frame())
            heard_times.mark(time.monotonic())

    player: asyncio.Task[None] | None = None
    try:
        room = await speaker.create_room("latency")
        await listener.join(room.room_id)
        for link in (voice, ear):
            await link.start()
            await asyncio.wait_for(link.connected.wait(), 30)
        await voice.press()
        player = asyncio.get_running_loop().create_task(play())
        await asyncio.sleep(1.0)  # let both playout buffers settle
        first = len(heard_times)
        source.arm()
        await asyncio.sleep(clicks * interval + MAX_LATENCY + 0.2)
        frames = heard_times.since(first)
        audio = np.concatenate(heard[first : first + len(frames)])
        sent_at = click_times(np.concatenate(source.sent), source.times)
        heard_at = click_times(audio, frames)
        latencies, unmatched = match_clicks(sent_at, heard_at, MAX_LATENCY)
        stats = ear.stats()
        return LatencyResult(
            latencies_ms=[x * 1e3 for x in latencies],
            sent=len(sent_at),
            received=len(heard_at),
            unmatched=unmatched,
            listener=stats.as_dict() if stats else {},
        )
    finally:
        if player is not None:
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await player
        for link in (voice, ear):
            await link.close()
        for client in (speaker, listener):
            await client.close()


async def run(clicks: int, interval: float) -> LatencyResult:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            return await measure(server.url, clicks, interval)
        finally:
            server.stop()


def markdown(result: LatencyResult) -> str:
    p50, p95, p99 = (result.percentile(p) for p in (50, 95, 99))
    verdict = "met" if p50 <= 60 and p99 <= 100 else "NOT met"
    listener = result.listener
    return "\n".join(
        [
            "| clicks sent | matched | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {result.sent} | {len(result.latencies_ms)} | {p50:.1f} | {p95:.1f} | {p99:.1f} "
            f"| {max(result.latencies_ms, default=float('nan')):.1f} |",
            "",
            f"Target p50 ≤ 60 ms and p99 ≤ 100 ms: {verdict}. Listener playout: "
            f"{int(listener.get('lost', 0))} lost, {int(listener.get('late', 0))} late, "
            f"{int(listener.get('concealed', 0))} concealed frames, target delay "
            f"{listener.get('target_delay_ms', 0.0):.0f} ms. Path: speaker client → "
            "panggung-server (adaptive input buffer, 20 ms mixer tick, encode once) → "
            "listener client (adaptive playout), all on 127.0.0.1; sound devices excluded.",
        ]
    )
