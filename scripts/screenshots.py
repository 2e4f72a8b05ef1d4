#!/usr/bin/env python3
"""`make screenshots`: start a virtual screen (Xvfb) with a tray host
(trayer) and a private PulseAudio with virtual devices (the tests' own, from
tests/support/pulse.py, with the headset and headphones plugged in, so the
settings dialog lists real device names and never this machine's), run
tests/ui/screenshots_scenario.py on them, and write the PNGs (default:
docs/screenshots/).

    .venv/bin/python scripts/screenshots.py [OUTDIR [SCENARIO]]

SCENARIO is a module to run instead (e.g. tests.ui.floor_shot_scenario, for
one picture without redrawing the rest).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: make app/ and tests/ importable

from app.audio.virtual import PulseUnavailable, VirtualPulse  # noqa: E402
from tests.support import pulse as pulse_support  # noqa: E402


def start_pulse(root: Path) -> VirtualPulse:
    daemon = pulse_support.start(root)
    pulse_support.plug_headset(daemon)
    pulse_support.plug_headphones(daemon)
    return daemon


def free_display() -> int:
    for n in range(90 + os.getpid() % 400, 1000):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    for tool in ("Xvfb", "trayer"):
        if shutil.which(tool) is None:
            print(f"screenshots: {tool} is missing (`make setup` installs it)", file=sys.stderr)
            return 1
    try:
        pulse = start_pulse(Path(tempfile.mkdtemp(prefix="panggung-shots-pulse-")))
    except PulseUnavailable as exc:
        print(f"screenshots: no virtual PulseAudio: {exc}", file=sys.stderr)
        return 1
    try:
        scenario = sys.argv[2] if len(sys.argv) > 2 else "tests.ui.screenshots_scenario"
        return on_screen(out, pulse.env(), scenario)
    finally:
        pulse.stop()


def on_screen(out: Path, sound_env: dict[str, str], scenario: str) -> int:
    """Start Xvfb and trayer, run the scenario there; stop them after."""
    display = f":{free_display()}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x960x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs = [xvfb]
    try:
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        deadline = time.monotonic() + 30
        while not socket.exists():
            if time.monotonic() > deadline or xvfb.poll() is not None:
                print("screenshots: Xvfb did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)
        env = dict(
            os.environ,
            **sound_env,
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            PYTHONPATH=str(ROOT),
            LANG="en_US.UTF-8",
        )
        env.pop("QT_SCALE_FACTOR", None)
        trayer = subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(trayer)
        time.sleep(1.0)  # trayer claims the tray selection
        done = subprocess.run(
            [sys.executable, "-m", scenario, str(out)],
            env=env,
            cwd=ROOT,
            timeout=300,
        )
        return done.returncode
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
