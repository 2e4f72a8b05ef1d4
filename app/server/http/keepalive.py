"""TCP keepalive on the WebSocket connections: the kernel finds vanished peers.

An idle connection costs the server nothing in Python between heartbeats
only if the heartbeat is rare; a peer that vanished (machine off, cable out,
NAT forgotten) is then found by the kernel's keepalive probes instead, with
no work in the event loop: after `IDLE` seconds without traffic, a probe
every `INTERVAL` seconds, and after `COUNT` unanswered ones the socket
fails and the connection closes as any lost one does. The WebSocket
heartbeat stays for what TCP cannot see: proxies that close a connection
quiet for too long (nginx's proxy_read_timeout) and peers whose program
hangs while their kernel still answers.
"""

import logging
import socket
from typing import Protocol

log = logging.getLogger(__name__)

IDLE = 20
INTERVAL = 5
COUNT = 3


class _Options(Protocol):
    """A socket, or asyncio's TransportSocket view of one."""

    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...


def enable(sock: _Options | None) -> None:
    """Turn keepalive on for `sock` with the timings above, where the OS has them."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", IDLE), ("TCP_KEEPINTVL", INTERVAL)):
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
        if hasattr(socket, "TCP_KEEPCNT"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, COUNT)
    except OSError as exc:  # a socket closing under us: its reader sees it
        log.debug("could not set keepalive: %s", exc)
