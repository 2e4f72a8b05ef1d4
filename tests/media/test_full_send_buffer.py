"""A full socket send buffer (EAGAIN): what the kernel refuses is sent later or
counted as dropped, never lost silently.

On loopback the kernel hands each datagram over at once, so the send buffer
never fills; a network namespace of the test's own, whose loopback is
rate-limited with tbf, makes the kernel queue packets until the buffer is
full, as a busy network card would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.netns import needs_netns, run

PROBE = Path(__file__).with_name("full_buffer_probe.py")
ROOT = Path(__file__).resolve().parents[2]


@needs_netns
def test_eagain_is_deferred_or_counted_and_a_leaving_listener_cuts_cleanly() -> None:
    namespace = f"panggung-eagain-{os.getpid()}"
    run("ip", "netns", "add", namespace)
    try:
        run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        run(
            "ip", "netns", "exec", namespace,
            "tc", "qdisc", "add", "dev", "lo", "root",
            "tbf", "rate", "1mbit", "burst", "4kb", "latency", "2s",
        )  # fmt: skip
        done = subprocess.run(
            ["ip", "netns", "exec", namespace, sys.executable, str(PROBE)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        run("ip", "netns", "del", namespace)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["waits"] > 0  # the kernel did refuse
    assert result["deferred"] > 0  # ... and some of that was sent once it drained
    assert result["pending_at_leave"]  # the listener left with packets still queued
    assert result["failed"] == 0
    # Every packet offered was either taken by the kernel or counted as dropped,
    # and every packet taken arrived, decrypting to what was sent.
    assert result["sent"] + result["dropped"] == result["offered"]
    assert result["received"] == result["sent"] == result["verified"]
