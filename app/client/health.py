"""What `panggung health` reports about the running app itself: the figures
a leak shows in first (memory, references to None, tasks, threads, open
files), for the soak tests and for a person chasing a slow death."""

import asyncio
import sys
import threading
import time

import psutil

_STARTED = time.monotonic()


def process_health() -> dict[str, object]:
    proc = psutil.Process()
    with proc.oneshot():
        rss = proc.memory_info().rss
        cpu = proc.cpu_times()
        # Windows counts handles (psutil's num_handles), everything else descriptors.
        count = getattr(proc, "num_fds", None) or getattr(proc, "num_handles")  # noqa: B009
        fds = int(count())
    return {
        "uptime_s": round(time.monotonic() - _STARTED, 1),
        "rss_bytes": rss,
        "cpu_s": round(cpu.user + cpu.system, 2),
        # Falls without end when a C extension drops references to None; on
        # Python 3.12+ None is immortal and this stays put.
        "none_refcount": sys.getrefcount(None),
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "open_files": fds,
    }
