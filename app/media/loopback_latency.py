"""Mouth-to-ear latency through a real room on this machine: a click train, speaker to listener.

    .venv/bin/python -m app.media.loopback_latency --clicks 50

A speaker ClientPeer sends clicks through a RoomMedia to a listener
ClientPeer, all on 127.0.0.1. Send time = when the click's frame leaves the
speaker's source; receive time = when the listener's playout hands the frame
to playback (both ``time.monotonic()``), plus the click's offset in its
frame. Sound devices (their buffers, capture framing) are not included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.dsp.click_timing import FrameTimes, click_times, match_clicks, percentile
from app.dsp.signals import click_train, to_int16
from app.media.client.peer import ClientPeer
from app.media.client.tracks import PcmSourceTrack, frame_to_mono
from app.media.ice import LOOPBACK_ONLY, IceSettings
from app.media.server.room import RoomMedia


class ClickSource:
    """Silence until ``arm()``, then ``clicks`` clicks ``interval`` s apart; notes frame times."""

    def __init__(self, clicks: int, interval: float) -> None:
        period = round(interval * SAMPLE_RATE)
        # Start each click a little into a frame: the offset must survive the trip.
        train = click_train(clicks * period, period, offset=300)
        self._train = to_int16(train)
        self._pos: int | None = None
        self.times = FrameTimes()
        self.sent: list[NDArray[np.int16]] = []

    def arm(self) -> None:
        self._pos = 0

    @property
    def done(self) -> bool:
        return self._pos is not None and self._pos >= len(self._train)

    def next_frame(self) -> NDArray[np.int16]:
        if self._pos is None or self.done:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        frame = self._train[self._pos : self._pos + FRAME_SAMPLES]
        frame = np.pad(frame, (0, FRAME_SAMPLES - len(frame)))
        self._pos += FRAME_SAMPLES
        self.times.mark(time.monotonic())
        self.sent.append(frame)
        return frame


@dataclass
class LatencyReport:
    latencies: list[float]  # seconds, one per matched click
    sent: int
    received: int
    unmatched: int
    listener: dict[str, float] = field(default_factory=dict)  # playout stats
    server: dict[str, float] = field(default_factory=dict)  # speaker input playout stats

    def summary(self) -> dict[str, object]:
        ms = [x * 1e3 for x in self.latencies]
        figures = {f"p{p}_ms": round(percentile(ms, p), 1) for p in (50, 95, 99)} if ms else {}
        return {
            **figures,
            "max_ms": round(max(ms), 1) if ms else None,
            "sent": self.sent,
            "received": self.received,
            "unmatched": self.unmatched,
            "listener_playout": self.listener,
            "server_input_playout": self.server,
        }


async def measure_click_latency(
    clicks: int = 50,
    interval: float = 0.3,
    *,
    settings: IceSettings = LOOPBACK_ONLY,
    warmup: float = 1.0,
    max_latency: float = 0.25,
    timeout: float = 60.0,
) -> LatencyReport:
    """Run a room with one speaker and one listener; time ``clicks`` clicks end to end."""
    if interval <= max_latency:
        raise ValueError("clicks must be further apart than max_latency")
    room = RoomMedia(settings)
    room.start()
    source = ClickSource(clicks, interval)
    speaker = ClientPeer(settings, PcmSourceTrack(source.next_frame))
    listener = ClientPeer(settings)
    received = FrameTimes()
    chunks: list[NDArray[np.int16]] = []
    recorder: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(timeout):
            await speaker.connect(partial(room.join, "speaker"))
            await listener.connect(partial(room.join, "listener"))
            await room.ready("speaker")
            await room.ready("listener")
            room.set_on_stage("speaker", True)
            track = await listener.remote_track()

            async def record() -> None:
                while True:
                    frame = await track.recv()
                    received.mark(time.monotonic())
                    chunks.append(frame_to_mono(frame))

            recorder = asyncio.get_running_loop().create_task(record())
            await asyncio.sleep(warmup)
            start = len(received)
            source.arm()
            while not source.done:  # noqa: ASYNC110 - the source is driven by aiortc's sender
                await asyncio.sleep(0.05)
            await asyncio.sleep(max_latency + 0.1)
        heard = received.since(start)
        out = np.concatenate(chunks[start : start + len(heard)])
        sent_at = click_times(np.concatenate(source.sent), source.times)
        heard_at = click_times(out, heard)
        latencies, unmatched = match_clicks(sent_at, heard_at, max_latency)
        listener_stats = listener.playout_stats()
        server_stats = room.input_stats("speaker")
        return LatencyReport(
            latencies,
            sent=len(sent_at),
            received=len(heard_at),
            unmatched=unmatched,
            listener=listener_stats.as_dict() if listener_stats else {},
            server=server_stats.as_dict() if server_stats else {},
        )
    finally:
        if recorder is not None:
            recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder
        await speaker.close()
        await listener.close()
        await room.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clicks", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.3)
    args = parser.parse_args()
    report = asyncio.run(measure_click_latency(args.clicks, args.interval))
    print(json.dumps(report.summary(), indent=2))


if __name__ == "__main__":
    main()
