"""The tray under a real X server (Xvfb) with a tray host (trayer).

The scenario runs in its own process: Qt's platform is fixed per process and
the other UI tests use offscreen.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_display() -> int:
    for n in range(90 + os.getpid() % 400, 1000):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def tray_display() -> Iterator[str]:
    if shutil.which("Xvfb") is None or shutil.which("trayer") is None:
        pytest.fail("Xvfb and trayer are missing: `make test` installs them")
    display = f":{_free_display()}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = dict(os.environ, DISPLAY=display)
    socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
    deadline = time.monotonic() + 30
    while not socket.exists():
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.1)
    trayer = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # trayer claims the tray selection
    try:
        yield display
    finally:
        for proc in (trayer, xvfb):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_close_to_tray_keeps_the_room_and_notifies(tray_display: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=tray_display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
    shot = tmp_path / "tray.png"
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.tray_scenario", str(tmp_path), str(shot)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tray scenario: ok" in done.stdout
    assert shot.exists()
    keep = os.environ.get("PANGGUNG_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / "tray.png")


def test_start_minimised_shows_only_the_tray_icon(tray_display: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=tray_display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.start_minimised_scenario", str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "start minimised scenario: ok" in done.stdout
