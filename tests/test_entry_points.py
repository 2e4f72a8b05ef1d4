"""The console scripts pyproject declares exist and start."""

import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "script", ["panggung", "panggung-server", "panggung-bot", "panggung-bench"]
)
def test_every_console_script_answers_help(script: str) -> None:
    done = subprocess.run([str(BIN / script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert script in done.stdout


def test_panggung_version_and_self_test() -> None:
    version = subprocess.run(
        [str(BIN / "panggung"), "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.strip() == f"panggung {__version__}"
    test = subprocess.run(
        [str(BIN / "panggung"), "--self-test"], capture_output=True, text=True, timeout=180
    )
    assert test.returncode == 0, test.stdout + test.stderr
    assert "self-test passed" in test.stdout
    assert "FAIL" not in test.stdout
