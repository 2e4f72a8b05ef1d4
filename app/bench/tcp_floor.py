"""The kernel's part of a signaling frame: CPU per small TCP write, by how many
connections are open.

A server's frame to a listener ends in one `send` on that listener's socket;
on loopback the kernel also delivers it into the receiver's socket and wakes
the receiver, and charges that to the sender. Whether that cost grows with
the number of open connections (caches, socket tables) says how much of a
growing CPU per join is the kernel's, not the server's own work. Measured
here with nothing of Panggung in the way: one process holds `n` connected
sockets and writes frames the size of an `audience` summary, in bursts to
every connection (a summary) and one at a time to random ones (replies); a
child process holds the other ends and reads them with epoll, as a load
process does. CPU per write = the writing process's CPU time over the writes.
"""

import json
import random
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

FRAME = b"\x81\x3c" + b"x" * 60  # an unmasked text frame of 60 bytes, as a summary is
_READER = r"""
import selectors, socket, sys, resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
n = int(sys.argv[1])
server = socket.create_server(("127.0.0.1", 0), backlog=4096)
print(server.getsockname()[1], flush=True)
sel = selectors.EpollSelector()
accepted = 0
while accepted < n:
    conn, _ = server.accept()
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ)
    accepted += 1
sel.register(sys.stdin, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is sys.stdin:
            raise SystemExit(0)
        try:
            key.fileobj.recv(65536)
        except BlockingIOError:
            pass
"""


@dataclass
class TcpFloor:
    connections: int
    burst_us: float  # CPU per write, writing to every connection in turn
    single_us: float  # CPU per write, one random connection at a time, paced


def measure(n: int, seconds: float = 4.0, rate: float = 2000.0) -> TcpFloor:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    socks: list[socket.socket] = []
    try:
        assert reader.stdout is not None
        port = int(reader.stdout.readline())
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setblocking(False)
            socks.append(s)
        time.sleep(0.5)  # every connection accepted and registered
        burst = _burst(socks, seconds)
        single = _single(socks, seconds, rate)
        return TcpFloor(n, burst, single)
    finally:
        for s in socks:
            s.close()
        if reader.stdin is not None:
            reader.stdin.close()
        reader.wait(30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _burst(socks: list[socket.socket], seconds: float) -> float:
    """Every connection in turn, a pass a second (a summary to the room)."""
    writes, cpu0, end = 0, time.process_time(), time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        for s in socks:
            s.send(FRAME)
        writes += len(socks)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    return (time.process_time() - cpu0) / writes * 1e6


def _single(socks: list[socket.socket], seconds: float, rate: float) -> float:
    """One random connection at a time, `rate` a second (replies to requests)."""
    rng = random.Random(1)
    writes, cpu0, end = 0, time.process_time(), time.monotonic() + seconds
    step = 0.001
    per_step = max(1, round(rate * step))
    while time.monotonic() < end:
        for _ in range(per_step):
            rng.choice(socks).send(FRAME)
        writes += per_step
        time.sleep(step)
    return (time.process_time() - cpu0) / writes * 1e6


if __name__ == "__main__":
    for size in map(int, sys.argv[1:] or ["1000", "15000"]):
        print(json.dumps(measure(size).__dict__), flush=True)
