"""What the kernel dropped or gave up on while a benchmark ran (Linux).

A join lost with no close frame may be the kernel's doing, not the server's:
probes or segments dropped at loopback's backlog (netdev_max_backlog) and
connections aborted after their keepalive or retransmission timers ran out.
The counters are the machine's (this network namespace's, for the aborts),
so a benchmark reports their change over its own run.
"""

from dataclasses import dataclass
from pathlib import Path

_NETSTAT = Path("/proc/net/netstat")
_SOFTNET = Path("/proc/net/softnet_stat")


@dataclass(frozen=True)
class KernelDrops:
    # Connections the kernel aborted when a timer ran out (TcpExtTCPAbortOnTimeout).
    aborted_on_timeout: int = 0
    # Packets dropped at the receive backlog, all CPUs (softnet_stat's second column).
    backlog_dropped: int = 0

    def __sub__(self, before: "KernelDrops") -> "KernelDrops":
        return KernelDrops(
            self.aborted_on_timeout - before.aborted_on_timeout,
            self.backlog_dropped - before.backlog_dropped,
        )


def read() -> KernelDrops:
    """The counters now; zeros where the system has no such files."""
    return KernelDrops(_tcp_ext("TCPAbortOnTimeout"), _backlog_dropped())


def _tcp_ext(name: str) -> int:
    try:
        lines = _NETSTAT.read_text().splitlines()
    except OSError:
        return 0
    # Pairs of lines: "TcpExt: names..." then "TcpExt: values...".
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(table.get(name, 0))
    return 0


def _backlog_dropped() -> int:
    try:
        rows = _SOFTNET.read_text().splitlines()
    except OSError:
        return 0
    return sum(int(row.split()[1], 16) for row in rows if len(row.split()) > 1)
