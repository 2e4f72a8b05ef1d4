"""The test session's PulseAudio: virtual speakers, a virtual microphone, and
a "headset" (microphone) and "headphones" that tests plug and unplug; plus
paplay/parec helpers to feed the microphone and record the speakers; and the
daemon behind the tests' `pulse` fixtures (`daemon`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.audio.virtual import PulseUnavailable, VirtualPulse

BASE = [
    "load-module module-null-sink sink_name=spk",  # the speakers
    "load-module module-null-sink sink_name=micfeed",  # what the microphone hears
    "load-module module-remap-source source_name=vmic master=micfeed.monitor",
    "load-module module-null-sink sink_name=hsfeed",  # what the headset hears
    "set-default-sink spk",
    "set-default-source vmic",
]
ALSA_DEVICES = {"headset": "headset", "headphones": "phones"}


def start(root: Path) -> VirtualPulse:
    return VirtualPulse(root, BASE, ALSA_DEVICES)


def reset(pulse: VirtualPulse) -> None:
    """Undo what a test plugged in or unplugged."""
    for line in pulse.pactl("list", "short", "modules").stdout.splitlines():
        index, _name, *args = line.split("\t")
        if "source_name=headset" in "".join(args) or "sink_name=phones" in "".join(args):
            pulse.unload(int(index))
    if "vmic" not in pulse.names("sources"):
        pulse.load("module-remap-source", "source_name=vmic", "master=micfeed.monitor")
    pulse.pactl("set-default-sink", "spk")
    pulse.pactl("set-default-source", "vmic")


def plug_headset(pulse: VirtualPulse) -> int:
    """A microphone named "headset" in PortAudio, hearing what is played to hsfeed."""
    return pulse.load("module-remap-source", "source_name=headset", "master=hsfeed.monitor")


def plug_headphones(pulse: VirtualPulse) -> int:
    return pulse.load("module-null-sink", "sink_name=phones")


def play(wav: Path, sink: str = "micfeed") -> subprocess.Popen[bytes]:
    """Start playing a file into a sink (the microphone's is micfeed)."""
    return subprocess.Popen(["paplay", f"--device={sink}", str(wav)])


class Parec:
    """Records a sink's monitor as 48 kHz mono int16 from now until ``stop``."""

    def __init__(self, path: Path, sink: str = "spk") -> None:
        self.path = path
        self._proc = subprocess.Popen(
            [
                "parec",
                f"--device={sink}.monitor",
                "--format=s16le",
                "--rate=48000",
                "--channels=1",
                "--latency-msec=20",
                "--raw",
                str(path),
            ],
        )
        self.started = time.monotonic()

    async def ready(self, timeout: float = 10.0) -> None:
        """Wait for the first data: a null sink with no low-latency client renders
        in blocks of up to 2 s, so a new recorder can start that late."""
        deadline = time.monotonic() + timeout
        while not (self.path.exists() and self.path.stat().st_size > 0):
            if time.monotonic() > deadline:
                raise AssertionError("parec recorded nothing")
            await asyncio.sleep(0.02)
        self.started = time.monotonic()

    def stop(self) -> NDArray[np.int16]:
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(10)
        data = self.path.read_bytes() if self.path.exists() else b""
        return np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16)


def environ(pulse: VirtualPulse) -> dict[str, str | None]:
    """Point this process (PortAudio, paplay, parec) at ``pulse``; returns what to restore."""
    saved = {k: os.environ.get(k) for k in pulse.env()}
    os.environ.update(pulse.env())
    return saved


def restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPulse]:
    """A `pulse` fixture's body, whatever its scope: a daemon in a new temp dir
    with this process pointed at it (`environ`) while it runs; the test fails
    when none can start."""
    try:
        pulse = start(tmp_path_factory.mktemp("pulse"))
    except PulseUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    saved = environ(pulse)
    try:
        yield pulse
    finally:
        restore(saved)
        pulse.stop()
