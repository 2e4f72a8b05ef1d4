"""Janus Streaming on 127.0.0.1 for the side-by-side fan-out benchmark.

Started with our own minimal configuration in a temporary directory (only the
HTTP transport and the Streaming plugin, no STUN, no IPv6, two event loops)
and an audio-only Opus RTP mountpoint that ``RtpSender`` feeds at 50 pkt/s.
Janus skips loopback interfaces when gathering, so it runs with a small
LD_PRELOAD shim (``janus_shim/loopback_shim.c``, built here with gcc) that
hides the loopback flag of ``lo``; ``ice_enforce_list`` then leaves exactly
one candidate, 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL

import aiohttp
import psutil

from app.dsp import FRAME_SAMPLES, FRAME_SECONDS
from app.dsp.signals import ToneSource
from app.media.opus import OpusEncoder

JANUS = "janus"
MODULES = Path("/usr/lib/x86_64-linux-gnu/janus")
SHIM_SOURCE = Path(__file__).with_name("janus_shim") / "loopback_shim.c"
MOUNTPOINT_ID = 1
OPUS_PT = 111
START_TIMEOUT = 20.0


class JanusUnavailable(RuntimeError):
    """The janus binary, its modules or gcc (for the shim) are missing."""


def janus_binary() -> str | None:
    return shutil.which(JANUS)


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(http_port: int, rtp_port: int, modules: Path, root: Path) -> dict[str, str]:
    """Our own minimal jcfg files (libconfig syntax)."""
    janus = f"""general: {{
    configs_folder = "{root}"
    plugins_folder = "{modules / "plugins"}"
    transports_folder = "{modules / "transports"}"
    events_folder = "{modules / "events"}"
    loggers_folder = "{modules / "loggers"}"
    debug_level = 3
    # Handles share two loop threads (the default is one thread per handle).
    event_loops = 2
}}
media: {{
    ipv6 = false
}}
nat: {{
    ice_enforce_list = "127.0.0.1"
}}
"""
    http = f"""general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    port = {http_port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
    admin_https = false
}}
"""
    streaming = f"""general: {{
}}
panggung-bench: {{
    type = "rtp"
    id = {MOUNTPOINT_ID}
    description = "panggung-bench Opus"
    media = ({{
        type = "audio"
        mid = "a"
        port = {rtp_port}
        iface = "127.0.0.1"
        pt = {OPUS_PT}
        codec = "opus"
    }})
}}
"""
    return {
        "janus.jcfg": janus,
        "janus.transport.http.jcfg": http,
        "janus.plugin.streaming.jcfg": streaming,
    }


def _module_dirs(root: Path) -> Path:
    """Folders holding only the modules we want loaded (symlinks to the installed ones)."""
    wanted = {
        "plugins": "libjanus_streaming.so",
        "transports": "libjanus_http.so",
        "events": None,
        "loggers": None,
    }
    modules = root / "modules"
    for folder, name in wanted.items():
        (modules / folder).mkdir(parents=True)
        if name is not None:
            source = MODULES / folder / name
            if not source.exists():
                raise JanusUnavailable(f"{source} is missing (Debian package janus)")
            (modules / folder / name).symlink_to(source)
    return modules


def _build_shim(root: Path) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        raise JanusUnavailable("gcc is needed to build the loopback shim for Janus")
    target = root / "loopback_shim.so"
    cmd = [gcc, "-shared", "-fPIC", "-O2", "-o", str(target), str(SHIM_SOURCE), "-ldl"]
    subprocess.run(cmd, check=True, capture_output=True)
    return target


class JanusServer:
    """``async with JanusServer() as janus``: a private Janus, stopped and cleaned up after."""

    def __init__(self) -> None:
        self.http_port = _free_port(socket.SOCK_STREAM)
        self.rtp_port = _free_port(socket.SOCK_DGRAM)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self.process: psutil.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/janus"

    @property
    def log(self) -> str:
        if self._tmp is None:
            return ""
        path = Path(self._tmp.name) / "janus.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def __aenter__(self) -> JanusServer:
        binary = janus_binary()
        if binary is None:
            raise JanusUnavailable("janus is not installed (Debian package janus)")
        self._tmp = tempfile.TemporaryDirectory(prefix="panggung-janus-")
        root = Path(self._tmp.name)
        try:
            modules = _module_dirs(root)
            for name, text in _config(self.http_port, self.rtp_port, modules, root).items():
                (root / name).write_text(text)
            env = dict(os.environ, LD_PRELOAD=str(_build_shim(root)))
            log = root / "janus.log"
            cmd = [binary, "-F", str(root), "-C", str(root / "janus.jcfg"), "-N", "-L", str(log)]
            self._proc = await asyncio.create_subprocess_exec(
                *cmd, env=env, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL
            )
            self.process = psutil.Process(self._proc.pid)
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.returncode is not None:
                    raise RuntimeError(f"janus exited at start:\n{self.log[-2000:]}")
                try:
                    async with http.get(self.url + "/info") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"janus did not answer on {self.url}:\n{self.log[-2000:]}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the Janus process (all its threads)."""
        if self.process is None:
            return 0.0
        times = self.process.cpu_times()
        return float(times.user + times.system)

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class RtpSender:
    """Plain RTP, Opus, 50 packets/s to Janus's mountpoint port (absolute deadlines).

    One second of tone is encoded up front and looped, so the sender costs
    little and none of it is Janus's CPU.
    """

    def __init__(self, port: int, ssrc: int = 0x50A66, frames: int = 50) -> None:
        self._addr = ("127.0.0.1", port)
        self._ssrc = ssrc
        encoder, source = OpusEncoder(), ToneSource(440.0)
        self._payloads = [encoder.encode(source.next_frame()) for _ in range(frames)]
        self._task: asyncio.Task[None] | None = None
        self.packets = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            start = time.monotonic()
            while True:
                seq = self.packets & 0xFFFF
                ts = (self.packets * FRAME_SAMPLES) & 0xFFFFFFFF
                header = struct.pack("!BBHII", 0x80, OPUS_PT, seq, ts, self._ssrc)
                payload = self._payloads[self.packets % len(self._payloads)]
                sock.sendto(header + payload, self._addr)
                self.packets += 1
                # If we fell behind, send on time from now rather than in a burst.
                delay = start + self.packets * FRAME_SECONDS - time.monotonic()
                if delay < -0.1:
                    start -= delay
                    delay = 0.0
                await asyncio.sleep(max(delay, 0.0))
