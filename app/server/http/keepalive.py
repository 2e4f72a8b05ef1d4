"""TCP keepalive on the WebSocket connections: the kernel finds vanished peers.

An idle connection costs the server nothing in Python between heartbeats
only if the heartbeat is rare; a peer that vanished (machine off, cable out,
NAT forgotten) is then found by the kernel's keepalive probes instead, with
no work in the event loop: after `idle` seconds without traffic, a probe
every `interval` seconds, and after `count` unanswered ones the socket
fails and the connection closes as any lost one does. The WebSocket
heartbeat stays for what TCP cannot see: proxies that close a connection
quiet for too long (nginx's proxy_read_timeout) and peers whose program
hangs while their kernel still answers.

Each connection's times are drawn at random from a range. A herd goes quiet
together: 15,000 listeners told `busy` in the same second wait out their
turns in silence, and with one idle time for all, their probes left in the
same timer tick, thousands of packets at once. Loopback's backlog holds
1,000 (netdev_max_backlog), a network card's queue not many more; the
probes past it were dropped, the same ones again `interval` later, and after
`count` rounds the kernel aborted connections whose peers were alive (the
15,000 storm lost 1,720 joins that way: TcpExtTCPAbortOnTimeout 1,906 after
two such runs, each a join lost). Spread over a range of idle and interval
times (whole seconds: what the kernel takes), the herd's probes go out a few
hundred per second.
"""

import logging
import random
import socket
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probing:
    """Keepalive times, in whole seconds; each socket draws its own from
    [idle, idle + idle_spread) and [interval, interval + interval_spread)
    (a spread of 1: the one value)."""

    idle: int = 20
    idle_spread: int = 20
    interval: int = 4
    interval_spread: int = 3
    count: int = 4

    def __post_init__(self) -> None:
        if min(self.idle, self.idle_spread, self.interval, self.interval_spread, self.count) < 1:
            raise ValueError(f"keepalive times must be whole seconds of at least 1: {self}")

    @property
    def found_within(self) -> int:
        """The longest a vanished peer goes unnoticed after its last packet."""
        longest_idle = self.idle + self.idle_spread - 1
        return longest_idle + (self.interval + self.interval_spread - 1) * self.count

    def draw(self, rng: random.Random) -> tuple[int, int]:
        """One socket's idle and interval times."""
        return (
            self.idle + rng.randrange(self.idle_spread),
            self.interval + rng.randrange(self.interval_spread),
        )


DEFAULT = Probing()
_rng = random.Random()


class _Options(Protocol):
    """A socket, or asyncio's TransportSocket view of one."""

    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...


def enable(sock: _Options | None, probing: Probing = DEFAULT) -> None:
    """Turn keepalive on for `sock` with times drawn from `probing`, where the OS has them."""
    if sock is None:
        return
    idle, interval = probing.draw(_rng)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", interval)):
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
        if hasattr(socket, "TCP_KEEPCNT"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, probing.count)
    except OSError as exc:  # a socket closing under us: its reader sees it
        log.debug("could not set keepalive: %s", exc)
