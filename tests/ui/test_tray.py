"""The tray under a real X server (Xvfb) with a tray host (trayer).

The scenario runs in its own process: Qt's platform is fixed per process and
the other UI tests use offscreen.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.xserver import XUnavailable, xvfb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tray_display() -> Iterator[str]:
    try:
        with xvfb(tray=True) as display:
            yield display
    except XUnavailable as exc:
        pytest.fail(str(exc))


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
