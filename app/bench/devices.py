"""Mouth-to-ear latency through sound devices, and what a listening client costs.

A private PulseAudio daemon has one stereo null sink, "stage": its left
channel is the microphone (a remap source over it) and the listener's
speakers are a remap sink onto its right channel. A click train played into
the left channel travels: PulseAudio -> ALSA pulse plugin -> PortAudio capture
(speaker client) -> WebRTC -> panggung-server (mix, encode) -> WebRTC ->
listener client's playout -> PortAudio playback -> PulseAudio -> right channel.
One parec of the stage's monitor records both ends on one clock, so each
click's latency is right onset - left onset, sound devices included.

The speaker is a separate process doing what the desktop app does on the
stage: capture with the voice processing on (echo cancellation fed by its
own playback of the room), push-to-talk held. Its CPU is measured like the
listener's. The listener is a separate process doing what the desktop app
does for audio in the audience: RoomClient + VoiceLink + AudioEngine on the default
devices with the engine's default periods, microphone closed (it opens on
stage or push-to-talk). Its RSS and CPU (per thread too) are sampled over the
run, with the machine's load average, since a loaded machine inflates both.
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

from app.audio.virtual import VirtualPulse
from app.bench.signaling import Server
from app.bench.thread_cpu import thread_cpu, thread_times
from app.dsp.analysis import detect_onsets
from app.dsp.click_timing import match_clicks, percentile
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
    threads: dict[str, float] = field(default_factory=dict)  # % of a core by thread kind
    load: tuple[float, float] = (0.0, 0.0)  # 1-min load average before and after
    floor_cpu_percent: float = float("nan")  # the same speakers playing a fixed frame, no room
    speaker_cpu_percent: float = float("nan")  # the speaking client, processing on, devices in
    speaker_threads: dict[str, float] = field(default_factory=dict)

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


async def _speaker(url: str) -> tuple[asyncio.subprocess.Process, str]:
    """The speaking client's process, once its audio flows; and its room. It
    speaks until its standard input is closed."""
    speaker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.bench.device_listener", "--speak", url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert speaker.stdout is not None
    room = (await asyncio.wait_for(speaker.stdout.readline(), 60)).decode().split()
    ready = await asyncio.wait_for(speaker.stdout.readline(), 60)
    if len(room) != 2 or room[0] != "room" or ready.strip() != b"ready":
        speaker.kill()
        await speaker.wait()
        raise RuntimeError("the speaker did not start")
    return speaker, room[1]


async def _measure(root: Path, url: str, seconds: float, interval: float) -> DevicesResult:
    speaker, room_id = await _speaker(url)
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
        proc, talker = psutil.Process(listener.pid), psutil.Process(speaker.pid)
        load0 = os.getloadavg()[0]
        threads0, talker0 = thread_times(proc), thread_times(talker)
        talker_cpu0 = sum(talker.cpu_times()[:2])
        cpu0, t0, rss = sum(proc.cpu_times()[:2]), time.monotonic(), 0.0
        player = await asyncio.create_subprocess_exec("paplay", "--device=stage", str(wav))
        while player.returncode is None:
            rss = max(rss, proc.memory_info().rss / 2**20)
            await asyncio.sleep(0.5)
        wall = time.monotonic() - t0
        cpu = (sum(proc.cpu_times()[:2]) - cpu0) / wall * 100
        threads = thread_cpu(threads0, thread_times(proc), cpu, wall)
        talker_cpu = (sum(talker.cpu_times()[:2]) - talker_cpu0) / wall * 100
        talker_threads = thread_cpu(talker0, thread_times(talker), talker_cpu, wall)
        load = (load0, os.getloadavg()[0])
        await asyncio.sleep(MAX_LATENCY + 0.2)
        parec.send_signal(signal.SIGINT)
        await asyncio.wait_for(parec.wait(), 10)
        latencies, sent, unmatched = _latencies(np.fromfile(raw, dtype="<i2"))
        out, _ = await asyncio.wait_for(listener.communicate(), 60)
        said, _ = await asyncio.wait_for(speaker.communicate(b""), 60)  # closes its stdin
        return DevicesResult(
            latencies_ms=[x * 1e3 for x in latencies],
            sent=sent,
            unmatched=unmatched,
            seconds=seconds,
            rss_mb_max=rss,
            cpu_percent=cpu,
            listener=json.loads(out.decode().strip().splitlines()[-1]),
            speaker=json.loads(said.decode().strip().splitlines()[-1]),
            threads=threads,
            load=load,
            speaker_cpu_percent=talker_cpu,
            speaker_threads=talker_threads,
        )
    finally:
        for p in (player, parec):
            if p is not None and p.returncode is None:
                p.kill()
                await p.wait()
        for child in (listener, speaker):
            if child.returncode is None:
                child.kill()
                await child.wait()


async def _device_floor(seconds: float) -> float:
    """CPU of a process whose engine only plays a fixed frame (no network, no decode)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.bench.device_listener", "--floor", str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 60)
    return float(json.loads(out.decode().strip().splitlines()[-1])["cpu_percent"])


async def run(seconds: float = 60.0, interval: float = 0.5) -> DevicesResult:
    with tempfile.TemporaryDirectory(prefix="pgbench-") as tmp:
        root = Path(tmp)
        pulse = VirtualPulse(root / "pulse", SCRIPT)
        saved = {k: os.environ.get(k) for k in pulse.env()}
        os.environ.update(pulse.env())  # this process and its children use it
        server = Server(root)
        try:
            result = await _measure(root, server.url, seconds, interval)
            result.floor_cpu_percent = await _device_floor(min(15.0, seconds))
            return result
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
        "speaker": r.speaker_cpu_percent <= 5,
    }
    verdict = {k: "met" if v else "**NOT met**" for k, v in ok.items()}
    lst, spk = r.listener, r.speaker
    threads = ", ".join(f"{kind} {pct:.1f} %" for kind, pct in r.threads.items())
    lines = [
        "| clicks | matched | p50 (ms) | p95 (ms) | max (ms) | listener RSS (MB) "
        "| listener CPU (% of a core) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r.sent} | {len(r.latencies_ms)} | {p50:.1f} | {p95:.1f} "
        f"| {max(r.latencies_ms, default=float('nan')):.1f} | {r.rss_mb_max:.0f} "
        f"| {r.cpu_percent:.1f} |",
        "",
        f"Targets: p50 ≤ 100 ms {verdict['latency']}; RSS < 150 MB {verdict['rss']}; "
        f"CPU < 3 % {verdict['cpu']}; speaker CPU ≤ 5 % {verdict['speaker']}.",
        "",
        f"Speaker (capture with echo cancellation, noise suppression and gain control on, "
        f"its speakers playing the room and feeding the echo canceller, push-to-talk held): "
        f"{r.speaker_cpu_percent:.1f} % of a core, by thread: "
        + ", ".join(f"{kind} {pct:.1f} %" for kind, pct in r.speaker_threads.items())
        + f"; echo delay hint {spk.get('processing_delay_hint_ms', 0):.0f} ms; "
        f"{int(spk.get('output_xruns', 0))} output xruns. The clicks "
        "cross the processing, so the latency above includes what it adds.",
        "",
        "Mouth to ear *with* sound devices: PulseAudio virtual microphone → PortAudio "
        "capture (speaker client) → WebRTC → panggung-server → WebRTC → listener client → "
        "PortAudio playback → PulseAudio virtual speaker, both ends recorded on one "
        "null sink's clock (left channel = microphone, right = speaker). Default devices; "
        "streams opened with PortAudio's default (low) latency "
        f"({spk.get('input_default_latency_ms', 0):.1f} ms capture, "
        f"{lst.get('output_default_latency_ms', 0):.1f} ms playback for these devices) and "
        f"the engine's default period ({spk.get('input_period_ms', 0):.0f} ms, half a room "
        "frame), with which PortAudio reports "
        f"capture {spk.get('input_latency_ms', 0):.0f} ms and playback "
        f"{lst.get('output_latency_ms', 0):.0f} ms (20 ms periods gave 40 ms each). "
        f"Speaker: {spk.get('capture_queue_mean', 0):.2f} frames waiting on average when "
        f"a captured frame is queued (1 = sent before the next), "
        f"{int(spk.get('capture_overruns', 0))} dropped. "
        f"Listener playout: target {lst.get('target_delay_ms', 0):.0f} ms, median wait "
        f"{lst.get('delay_ms', 0):.0f} ms, {int(lst.get('concealed', 0))} concealed, "
        f"{int(lst.get('playback_underruns', 0))} ring underruns, "
        f"{int(lst.get('output_xruns', 0))} device xruns, "
        f"{int(lst.get('shifted', 0))} half-frame phase moves; "
        f"{int(lst.get('tap_fast', 0))} packets took the fast receive path, "
        f"{int(lst.get('tap_slow', 0))} aiortc's. "
        "The speaker's capture, the server's mixer and the listener's playback are three "
        "20 ms clocks started at unrelated phases; the mixer moves its phase to the "
        "speaker's packets and the listener's playback moves in half frames to the "
        "mixer's (docs/media.md, phase alignment), so what is left of the phases is the "
        "device's 10 ms period.",
        "",
        "Resources: the listener is a separate process doing what the desktop app does for "
        "audio in the audience (RoomClient + VoiceLink + AudioEngine; the microphone is "
        "closed until the member goes on stage or presses push-to-talk; no Qt window), "
        f"measured over {r.seconds:.0f} s of a talking room (a click every 0.5 s through "
        "the whole window, so Opus decodes and plays throughout): peak RSS, and "
        f"user+system CPU time over wall time, by thread: {threads}. "
        f"Machine load average (1 min) {r.load[0]:.1f} before and {r.load[1]:.1f} after, "
        "on 2 cores shared with other jobs: CPU shares and latency tails are inflated "
        "when the machine is loaded; on a quiet machine they are lower.",
    ]
    lines += [
        "",
        f"Sound devices alone: the same engine and speakers playing a fixed frame, no room "
        f"and no network, cost {r.floor_cpu_percent:.1f} % of a core "
        f"({min(15.0, r.seconds):.0f} s, right after the room run); that is PortAudio's ALSA "
        "thread, PulseAudio's client thread and the callbacks moving "
        f"{lst.get('output_period_ms', 0):.0f} ms periods.",
    ]
    if not ok["cpu"]:
        lines += [
            "",
            f"Why the CPU target is missed: the sound devices alone (above) are "
            f"{r.floor_cpu_percent:.1f} % of the {r.cpu_percent:.1f} %; the rest is "
            "receiving and playing the room. Python's own work is about 1 % of a core "
            "(py-spy): per packet the fast receive path (SRTP decryption, a four-field "
            "header parse, the playout buffer), per frame the Opus decode and the playout "
            "decisions on the PortAudio thread (~20 µs a callback timed alone). The rest "
            "is system time: 50 event-loop wake-ups and 100 device callbacks a second, the "
            "ALSA-to-PulseAudio plugin behind each period, and the GIL passing between the "
            "two threads; it grows with the machine's load (docs/audio.md).",
        ]
    if not ok["latency"]:
        target, wait = lst.get("target_delay_ms", 0.0), lst.get("delay_ms", 0.0)
        held = (
            f" And in this run the listener's playout waited {wait:.0f} ms (median) for a "
            f"{target:.0f} ms target, over the {target:.0f}-{target + 20:.0f} ms a 20 ms pull "
            "clock explains: with jittery arrivals (a loaded machine) its shrink rule, which "
            "needs even the shortest wait of the last 50 frames to exceed target + 20 ms, "
            "keeps a frame it no longer needs (app/dsp/jitter_buffer.py)."
            if wait > target + 20
            else ""
        )
        lines += [
            "",
            "Why the latency target is missed in this run: the network path alone is about "
            "40 ms p50 (`panggung-bench latency`, devices excluded); the devices add what "
            "PortAudio reports above plus PulseAudio's own latency on each side; the "
            f"listener's device period adds 0-10 ms of phase (the mixer's is aligned).{held} "
            "Other runs of this code on this machine: docs/audio.md.",
        ]
    return "\n".join(lines)
