"""`panggung-bench app`: what the real desktop app costs while it listens.

The app runs as a person starts it: a real window on a private Xvfb with a
tray host (trayer), real sound through a private PulseAudio, signed in (its
token in a file keyring) to a room server this benchmark runs in its own
process, listening in the demo room while the bots talk. So the app's
process is the client only, as in issue 18: its CPU (user + system, all
threads, from /proc through psutil) and RSS are sampled over a window with
the window open, then in a second run started minimised to the tray (the
"start minimised" setting: only the tray icon, the room playing).
Targets (issue 18): open <= 3 % of a core and < 150 MB RSS; in the tray <= 2 %.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from app.audio.virtual import VirtualPulse
from app.bench.thread_cpu import describe, thread_cpu, thread_times
from app.client.session import RoomClient
from app.server.app import RunningServer, ServerConfig, start_server
from app.server.demo import open_demo

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "bench password 1"
USER = "bench-listener"
PULSE_SCRIPT = [
    "load-module module-null-sink sink_name=spk",
    "load-module module-null-sink sink_name=micfeed",
    "load-module module-remap-source source_name=vmic master=micfeed.monitor",
    "set-default-sink spk",
    "set-default-source vmic",
]
TARGET_OPEN_CPU, TARGET_OPEN_RSS_MB, TARGET_TRAY_CPU = 3.0, 150.0, 2.0


@dataclass
class Phase:
    name: str
    seconds: float
    cpu_percent: float  # of one core, over the window
    rss_mb: float  # at the end
    rss_max_mb: float
    threads: dict[str, float] = field(default_factory=dict)  # % of a core by thread kind
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-min load average, before and after


@dataclass
class AppCost:
    warmup: float
    phases: list[Phase]


@contextmanager
def _xvfb() -> Iterator[str]:
    for tool in ("Xvfb", "trayer"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} missing: `make setup` installs it")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    procs = [server]
    try:
        with os.fdopen(read, "rb", buffering=0) as pipe:
            number = pipe.readline().decode().strip()
        display = f":{number}"
        procs.append(
            subprocess.Popen(
                ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request"],
                env={**os.environ, "DISPLAY": display},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        time.sleep(1.0)
        yield display
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(10)


async def _account(url: str) -> str:
    client = RoomClient(url, client_name="bench", reconnect=False)
    try:
        await client.connect()
        return (await client.register(USER, PASSWORD)).token
    finally:
        await client.close()


async def _command(config: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "panggung"), "--config", str(config), *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    reply: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return reply


async def _sample(proc: psutil.Process, name: str, seconds: float) -> Phase:
    load0 = os.getloadavg()[0]
    threads0 = thread_times(proc)
    before = proc.cpu_times()
    start = time.monotonic()
    rss_max = 0
    while time.monotonic() - start < seconds:
        await asyncio.sleep(min(1.0, seconds))
        rss_max = max(rss_max, proc.memory_info().rss)
    after = proc.cpu_times()
    elapsed = time.monotonic() - start
    threads = thread_times(proc)
    used = (after.user - before.user) + (after.system - before.system)
    cpu = 100 * used / elapsed
    rss = proc.memory_info().rss
    return Phase(
        name,
        round(elapsed, 1),
        round(cpu, 2),
        rss / 2**20,
        max(rss_max, rss) / 2**20,
        thread_cpu(threads0, threads, cpu, elapsed),
        (load0, os.getloadavg()[0]),
    )


async def run(seconds: float = 120.0, warmup: float = 30.0) -> AppCost:
    with tempfile.TemporaryDirectory(prefix="pgbench-app-") as tmp:
        root = Path(tmp)
        pulse = VirtualPulse(root / "pulse", PULSE_SCRIPT)
        server: RunningServer | None = None
        try:
            server = await start_server(
                ServerConfig(db_url=f"sqlite:///{root / 'server.db'}", host="127.0.0.1", port=0)
            )
            room_id = await open_demo(server)
            token = await _account(server.url)
            phases = []
            with _xvfb() as display:
                for minimised in (False, True):
                    config = root / f"config-{int(minimised)}"
                    (config / "data").mkdir(parents=True)
                    settings = {
                        "username": USER,
                        "server_mode": "url",
                        "server_url": server.url,
                        "start_minimised": minimised,
                    }
                    (config / "settings.json").write_text(json.dumps(settings))
                    keyring = root / "keyring.json"
                    keyring.write_text(json.dumps({f"panggung/{server.url}|{USER}": token}))
                    env = {
                        **os.environ, **pulse.env(), "DISPLAY": display,
                        "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(ROOT),
                        "PYTHON_KEYRING_BACKEND": "tests.ui.file_keyring.FileKeyring",
                        "PANGGUNG_TEST_KEYRING": str(keyring),
                    }  # fmt: skip
                    env.pop("WAYLAND_DISPLAY", None)
                    name = "in the tray" if minimised else "window open"
                    phases.append(await _measure(config, env, room_id, name, seconds, warmup))
            return AppCost(warmup, phases)
        finally:
            if server is not None:
                await server.stop()
            pulse.stop()


async def _measure(
    config: Path, env: dict[str, str], room_id: str, name: str, seconds: float, warmup: float
) -> Phase:
    app = await asyncio.create_subprocess_exec(
        str(BIN / "panggung"), "--config", str(config),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert app.stdout is not None
        line = await asyncio.wait_for(app.stdout.readline(), 120)
        if not line:
            raise RuntimeError("the app exited at start")
        for _ in range(300):
            status = (await _command(config, env, "status"))["status"]
            if isinstance(status, dict) and status["phase"] == "directory":
                break
            await asyncio.sleep(0.2)
        joined = await _command(config, env, "join", room_id)
        if joined.get("ok") is not True:
            raise RuntimeError(f"the app could not join the demo room: {joined}")
        await asyncio.sleep(warmup)
        phase = await _sample(psutil.Process(app.pid), name, seconds)
        await _command(config, env, "quit")
        await asyncio.wait_for(app.wait(), 30)
        return phase
    finally:
        if app.returncode is None:
            app.kill()
            await app.wait()


def markdown(result: AppCost) -> str:
    rows = [
        "| state | window (s) | CPU (% of a core) | RSS at end (MB) | RSS max (MB) | target |",
        "|---|---|---|---|---|---|",
    ]
    for phase in result.phases:
        if phase.name == "window open":
            target = f"<= {TARGET_OPEN_CPU:g} % and < {TARGET_OPEN_RSS_MB:g} MB"
        else:
            target = f"<= {TARGET_TRAY_CPU:g} %"
        rows.append(
            f"| {phase.name} | {phase.seconds:g} | {phase.cpu_percent:.2f} | "
            f"{phase.rss_mb:.0f} | {phase.rss_max_mb:.0f} | {target} |"
        )
    threads = [
        f"{phase.name}: {describe(phase.threads)}; machine load average (1 min) "
        f"{phase.load[0]:.1f} before, {phase.load[1]:.1f} after."
        for phase in result.phases
    ]
    return (
        "The real `panggung` (client only: its server runs in the benchmark's process) "
        "listening in the demo room on Xvfb with a tray host and a private PulseAudio, "
        f"after {result.warmup:g} s of warm-up; CPU is user + system time of all its threads "
        "over the window (psutil), measured; the percentage is computed from it.\n\n"
        + "\n".join(rows)
        + "\n\nBy thread (% of a core; /proc, measured): "
        + " ".join(threads)
        + " The machine has 2 cores shared with other jobs: CPU shares grow with its load.\n"
    )
