#!/usr/bin/env python3
"""`make screenshots`: start a virtual screen (Xvfb) with a tray host
(trayer), run tests/ui/screenshots_scenario.py on it, and write the PNGs
(default: docs/screenshots/).

    .venv/bin/python scripts/screenshots.py [OUTDIR]
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
            [sys.executable, "-m", "tests.ui.screenshots_scenario", str(out)],
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
