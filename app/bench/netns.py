"""A private network namespace for the calling thread: only addresses we made.

For the browser benchmark and the web listener's tests.

Chromium gathers WebRTC candidates on every interface it sees, the machine's
own non-loopback address included, and tests must never send traffic there.
Inside a fresh namespace (entered with unshare(2) by this thread, so that the
sockets and child processes it creates from then on live there) there is
loopback, plus — for `test_host` — a veth pair with 198.18.0.1 (the
benchmarking range, RFC 2544) and a default route: a "real" interface that
belongs to the test alone, for what browsers do when they hide host
addresses behind mDNS names. Leaving restores the thread's old namespace; the
new one goes away with the last process in it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
TEST_HOST = "198.18.0.1"


class NamespaceUnavailable(RuntimeError):
    pass


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def private_network(test_host: bool = False) -> Iterator[None]:
    if shutil.which("ip") is None:
        raise NamespaceUnavailable("`ip` (iproute2) is missing")
    libc = _libc()
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NamespaceUnavailable(f"unshare(CLONE_NEWNET): {os.strerror(err)} (needs root)")
        try:
            _ip("link", "set", "lo", "up")
            if test_host:
                _ip("link", "add", "pg0", "type", "veth", "peer", "name", "pg1")
                _ip("addr", "add", f"{TEST_HOST}/24", "dev", "pg0")
                _ip("link", "set", "pg0", "up")
                _ip("link", "set", "pg1", "up")
                _ip("route", "add", "default", "dev", "pg0")
            yield
        finally:
            if libc.setns(original, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original namespace")
    finally:
        os.close(original)
