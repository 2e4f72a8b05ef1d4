"""Mouth-to-ear latency through sound devices, and what a listening client costs.

A private PulseAudio daemon has one stereo null sink, "stage": its left
channel is the microphone (a remap source over it) and the listener's
speakers are a remap sink onto its right channel. A click train played into
the left channel travels: PulseAudio -> ALSA pulse plugin -> PortAudio capture
(speaker client) -> WebRTC -> panggung-server (mix, encode) -> WebRTC ->
listener client's playout -> PortAudio playback -> PulseAudio -> right channel.
One parec of the stage's monitor records both ends on one clock, so each
click's latency is right onset - left onset, sound devices included.

The listener is a separate process doing exactly what the desktop app will
do for audio (the window does not exist yet): RoomClient + VoiceLink +
AudioEngine on the default devices with default buffer sizes, microphone
open and push-to-talk released. Its RSS and CPU are sampled over the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
from numpy.typing import NDArray

from app.audio.engine import AudioEngine
from app.audio.virtual import VirtualPulse
from app.bench.signaling import Server
from app.client.session import RoomClient
from app.client.voice import VoiceLink
from app.dsp.analysis import detect_onsets
from app.dsp.latency import match_clicks, percentile
from app.dsp.signals import click_train, to_int16

RATE = 48_000
MAX_LATENCY = 0.45  # s: clicks are further apart than this
PASSWORD = "bench-password-1"
SCRIPT = [
    "load-module module-null-sink sink_name=stage channels=2 rate=48000"
    " channel_map=front-left,front-right",
    "load-module module-remap-source source_name=mic master=stage.monitor channels=1"
    " master_channel_map=front-left channel_map=mono",
    "load-module module-remap-sink sink_name=ear master=stage channels=1"
    " master_channel_map=front-right channel_map=mono",
    "set-default-source mic",
    "set-default-sink ear",
]


@dataclass
class DevicesResult:
    latencies_ms: list[float]
    sent: int
    unmatched: int
    seconds: float
    rss_mb_max: float
    cpu_percent: float  # of one core, over the measured window
    listener: dict[str, float] = field(default_factory=dict)
    speaker: dict[str, float] = field(default_factory=dict)

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p) if self.latencies_ms else float("nan")


def _stereo_clicks(seconds: float, interval: float) -> NDArray[np.int16]:
    n = int(seconds * RATE)
    left = to_int16(click_train(n, int(interval * RATE), offset=RATE // 10))
    return np.stack([left, np.zeros_like(left)], axis=1).reshape(-1)


def _write_wav(path: Path, interleaved: NDArray[np.int16]) -> None:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(interleaved.astype("<i2").tobytes())


def _latencies(recording: NDArray[np.int16]) -> tuple[list[float], int, int]:
    stereo = recording[: len(recording) // 2 * 2].reshape(-1, 2)
    gap = RATE // 4
    mouth = [i / RATE for i in detect_onsets(stereo[:, 0], 0.1, gap)]
    ear = [i / RATE for i in detect_onsets(stereo[:, 1], 0.1, gap)]
    latencies, unmatched = match_clicks(mouth, ear, MAX_LATENCY)
    return latencies, len(mouth), unmatched


async def _speaker(url: str) -> tuple[RoomClient, AudioEngine, VoiceLink, str]:
    client = RoomClient(url, client_name="bench-speaker")
    await client.connect()
    await client.register("speaker", PASSWORD)
    room = await client.create_room("devices")
    engine = AudioEngine(playback=False)  # its N-1 mix is silent; keep the ear channel clean
    link = VoiceLink(client, frames=engine.frames)
    await engine.start()
    await link.start()
    await asyncio.wait_for(link.connected.wait(), 30)
    await link.press()
    return client, engine, link, room.room_id


async def _measure(root: Path, url: str, seconds: float, interval: float) -> DevicesResult:
    client, engine, link, room_id = await _speaker(url)
    listener = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.bench.device_listener", url, room_id, str(seconds + 2),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    parec: asyncio.subprocess.Process | None = None
    player: asyncio.subprocess.Process | None = None
    try:
        assert listener.stdout is not None
        line = await asyncio.wait_for(listener.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError("the listener did not start")
        wav, raw = root / "clicks.wav", root / "stage.raw"
        _write_wav(wav, _stereo_clicks(seconds, interval))
        parec = await asyncio.create_subprocess_exec(
            "parec", "--device=stage.monitor", "--format=s16le", "--rate=48000",
            "--channels=2", "--latency-msec=10", "--raw", str(raw),
        )  # fmt: skip
        await asyncio.sleep(1.0)  # let both playout buffers settle
        proc = psutil.Process(listener.pid)
        cpu0, t0, rss = sum(proc.cpu_times()[:2]), time.monotonic(), 0.0
        player = await asyncio.create_subprocess_exec("paplay", "--device=stage", str(wav))
        while player.returncode is None:
            rss = max(rss, proc.memory_info().rss / 2**20)
            await asyncio.sleep(0.5)
        cpu = (sum(proc.cpu_times()[:2]) - cpu0) / (time.monotonic() - t0) * 100
        await asyncio.sleep(MAX_LATENCY + 0.2)
        parec.send_signal(signal.SIGINT)
        await asyncio.wait_for(parec.wait(), 10)
        latencies, sent, unmatched = _latencies(np.fromfile(raw, dtype="<i2"))
        out, _ = await asyncio.wait_for(listener.communicate(), 60)
        return DevicesResult(
            latencies_ms=[x * 1e3 for x in latencies],
            sent=sent,
            unmatched=unmatched,
            seconds=seconds,
            rss_mb_max=rss,
            cpu_percent=cpu,
            listener=json.loads(out.decode().strip().splitlines()[-1]),
            speaker=engine.stats(),
        )
    finally:
        for p in (player, parec):
            if p is not None and p.returncode is None:
                p.kill()
                await p.wait()
        if listener.returncode is None:
            listener.kill()
            await listener.wait()
        await link.close()
        await engine.stop()
        await client.close()


async def run(seconds: float = 60.0, interval: float = 0.5) -> DevicesResult:
    with tempfile.TemporaryDirectory(prefix="pgbench-") as tmp:
        root = Path(tmp)
        pulse = VirtualPulse(root / "pulse", SCRIPT)
        saved = {k: os.environ.get(k) for k in pulse.env()}
        os.environ.update(pulse.env())  # this process and its children use it
        server = Server(root)
        try:
            return await _measure(root, server.url, seconds, interval)
        finally:
            server.stop()
            pulse.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def markdown(r: DevicesResult) -> str:
    p50, p95 = r.percentile(50), r.percentile(95)
    ok = {
        "latency": p50 <= 100,
        "rss": r.rss_mb_max < 150,
        "cpu": r.cpu_percent < 3,
    }
    verdict = {k: "met" if v else "**NOT met**" for k, v in ok.items()}
    lst = r.listener
    return "\n".join(
        [
            "| clicks | matched | p50 (ms) | p95 (ms) | max (ms) | listener RSS (MB) "
            "| listener CPU (% of a core) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {r.sent} | {len(r.latencies_ms)} | {p50:.1f} | {p95:.1f} "
            f"| {max(r.latencies_ms, default=float('nan')):.1f} | {r.rss_mb_max:.0f} "
            f"| {r.cpu_percent:.1f} |",
            "",
            f"Targets: p50 ≤ 100 ms {verdict['latency']}; RSS < 150 MB {verdict['rss']}; "
            f"CPU < 3 % {verdict['cpu']}.",
            "",
            "Mouth to ear *with* sound devices: PulseAudio virtual microphone → PortAudio "
            "capture (speaker client) → WebRTC → panggung-server → WebRTC → listener client → "
            "PortAudio playback → PulseAudio virtual speaker, both ends recorded on one "
            "null sink's clock (left channel = microphone, right = speaker). Default devices "
            "and buffer sizes (20 ms callbacks, PortAudio's default low latency: "
            f"capture {r.speaker.get('input_latency_ms', 0):.0f} ms, playback "
            f"{lst.get('output_latency_ms', 0):.0f} ms reported). Listener playout: "
            f"target {lst.get('target_delay_ms', 0):.0f} ms, "
            f"{int(lst.get('concealed', 0))} concealed, "
            f"{int(lst.get('playback_underruns', 0))} ring underruns, "
            f"{int(lst.get('output_xruns', 0))} device xruns.",
            "",
            f"Resources: the listener is a separate process doing what the desktop app will do "
            f"for audio (RoomClient + VoiceLink + AudioEngine, microphone open, push-to-talk "
            f"released; no Qt window yet), measured over {r.seconds:.0f} s of a talking room "
            "(a click every 0.5 s through the whole window, so Opus decodes and plays "
            "throughout): peak RSS, and user+system CPU time over wall time.",
        ]
    )
