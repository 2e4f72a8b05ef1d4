"""A herd of connections that go quiet together is not aborted by its own
keepalive probes (app/server/http/keepalive.py).

The 15,000 storm lost joins this way: every listener told `busy` in the same
second, all quiet while they waited their turn, all probed in the same timer
tick; loopback's backlog dropped the probes past its 1,000, the same ones
each round, and the kernel aborted live connections. Here the network
namespace's loopback drops what overflows a short queue (tbf), as that
backlog does, and the times are scaled down (seconds, not tens). With one
idle time for all, the kernel aborts live connections; with the spread the
server draws, none.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from app.server.http.keepalive import Probing
from tests.netns import needs_netns, run

PROBE = Path(__file__).with_name("keepalive_herd_probe.py")
ROOT = Path(__file__).resolve().parents[3]


def start(namespace: str, probing: Probing) -> subprocess.Popen[str]:
    run("ip", "netns", "add", namespace)
    run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
    run(
        "ip", "netns", "exec", namespace,
        "tc", "qdisc", "add", "dev", "lo", "root",
        "tbf", "rate", "1mbit", "burst", "2kb", "limit", "4kb",
    )  # fmt: skip
    times = json.dumps(dataclasses.asdict(probing))
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, str(PROBE), times],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def aborted(proc: subprocess.Popen[str]) -> tuple[int, int]:
    """Connections the probe saw fail, and the kernel's count of timer aborts."""
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err[-3000:]
    result = json.loads(out.splitlines()[-1])
    return int(result["aborted"]), int(result["counted"])


@needs_netns
def test_a_herd_gone_quiet_together_keeps_its_connections() -> None:
    # The server's own spread, scaled to seconds: idle 2-11 s, probes every 1-2 s.
    spread = Probing(idle=2, idle_spread=10, interval=1, interval_spread=2, count=3)
    aligned = dataclasses.replace(spread, idle_spread=1, interval_spread=1)
    names = [f"panggung-herd-{os.getpid()}-{i}" for i in range(2)]
    procs: list[subprocess.Popen[str]] = []
    try:
        # Side by side, in a namespace each: the same link, the same herd.
        procs = [start(names[0], aligned), start(names[1], spread)]
        (lost_aligned, counted_aligned), (lost_spread, counted_spread) = map(aborted, procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
    # The link does drop a herd's probes: with one time for all, live connections die ...
    assert lost_aligned > 0, f"aligned {lost_aligned} ({counted_aligned})"
    # (keepalive aborts, which the benchmark's kernel counter sees)
    assert counted_aligned > 0
    # ... and with each connection's own times, none does (a tenth of it at most:
    # the namespace shares two busy cores with the rest of the suite).
    seen = f"aligned {lost_aligned} ({counted_aligned}), spread {lost_spread} ({counted_spread})"
    assert lost_spread <= lost_aligned // 10, seen
