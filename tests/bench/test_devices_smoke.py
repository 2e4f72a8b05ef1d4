"""A short run of `panggung-bench devices` in its own process (it starts its own
PulseAudio daemon and points its environment at it)."""

import json
import subprocess
import sys


def test_clicks_cross_the_sound_devices_and_are_timed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.bench.main", "devices", "--seconds", "6"],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    ).stdout
    summary = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert summary["sent"] == 12
    assert summary["matched"] >= 10  # a loaded machine may lose a click to a stall
    assert 0 < summary["p50_ms"] < 450
    assert 0 < summary["rss_mb"] < 1000 and summary["cpu_percent"] > 0
    assert "## Sound devices" in out and "| clicks | matched |" in out
