"""Run inside a network namespace whose loopback drops what overflows a short
queue (tbf): a herd of live connections goes quiet at once and the kernel's
keepalive probes them. Prints, as JSON, how many of them the kernel aborted
(tests/server/http/test_keepalive_herd.py judges it)."""

from __future__ import annotations

import json
import resource
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from app.bench import kernel_drops
from app.server.http import keepalive

CONNECTIONS = 1000


def main(probing: keepalive.Probing) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * CONNECTIONS), hard))
    before = kernel_drops.read()
    listener = socket.create_server(("127.0.0.1", 0), backlog=CONNECTIONS)
    port = listener.getsockname()[1]
    clients: list[socket.socket] = []
    servers: list[socket.socket] = []
    for _ in range(CONNECTIONS):
        clients.append(socket.create_connection(("127.0.0.1", port)))
        server, _ = listener.accept()
        keepalive.enable(server, probing)  # as the server does on each WebSocket
        servers.append(server)
    aborted: set[int] = set()
    # The herd speaks at once and goes quiet: a request each, then nothing.
    for client in clients:
        client.send(b"?")
    for i, server in enumerate(servers):
        server.settimeout(5.0)
        try:
            server.recv(1)
        except TimeoutError as exc:
            if exc.errno is not None:  # ETIMEDOUT: the kernel aborted it, not a slow byte
                aborted.add(i)
        except OSError:
            aborted.add(i)
    # Every connection's probes have gone out, and `count` rounds for any unanswered.
    time.sleep(probing.found_within + 2)
    for i, server in enumerate(servers):
        if server.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            aborted.add(i)
    # The count the signaling benchmark reports (this namespace's own).
    counted = (kernel_drops.read() - before).aborted_on_timeout
    print(json.dumps({"connections": CONNECTIONS, "aborted": len(aborted), "counted": counted}))


if __name__ == "__main__":
    main(keepalive.Probing(**json.loads(sys.argv[1])))
