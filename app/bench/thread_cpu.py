"""CPU time of a process split by the kind of thread that spent it (/proc, psutil).

Python does not name its native threads, so kinds come from what can be told
apart: the main thread (the event loop), PulseAudio's client thread, Qt's own
threads, livekit's runtime (the echo canceller's library) and the rest
(PortAudio's callback thread and Python's worker threads).
"""

from pathlib import Path

import psutil

Times = dict[int, tuple[str, float]]


def kind_of(pid: int, tid: int, comm: str) -> str:
    if tid == pid:
        return "event loop"
    if comm == "threaded-ml":
        return "PulseAudio client"
    if comm.startswith("Q"):  # QXcbEventQueue, QDBusConnection, QThread...
        return "Qt threads"
    if comm.startswith(("tokio-", "livekit")):
        return "livekit runtime"
    return "PortAudio callback + workers"


def thread_times(proc: psutil.Process) -> Times:
    """Thread id -> (kind, user+system CPU seconds)."""
    out: Times = {}
    for t in proc.threads():
        try:
            comm = Path(f"/proc/{proc.pid}/task/{t.id}/comm").read_text().strip()
        except OSError:
            comm = ""
        out[t.id] = (kind_of(proc.pid, t.id, comm), t.user_time + t.system_time)
    return out


def thread_cpu(before: Times, after: Times, total: float, wall: float) -> dict[str, float]:
    """% of a core per thread kind over ``wall`` s; what is left of ``total``
    (the process's % of a core) ran in threads that ended meanwhile."""
    shares: dict[str, float] = {}
    for tid, (kind, cpu) in after.items():
        used = cpu - before.get(tid, (kind, 0.0))[1]
        shares[kind] = shares.get(kind, 0.0) + used / wall * 100
    shares["threads that ended"] = max(0.0, total - sum(shares.values()))
    return shares


def describe(shares: dict[str, float]) -> str:
    """'event loop 1.8 %, ...', largest first, kinds that spent nothing left out."""
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{kind} {share:.1f} %" for kind, share in ranked if share >= 0.05)
