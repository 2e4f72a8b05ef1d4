"""A throwaway Redis server for tests: 127.0.0.1, a free port, its own temp dir.

No persistence (`--save '' --appendonly no`): a restart comes back empty, as
a Redis without persistence does after a crash, which is the harder case for
the cluster layer. `restart()` keeps the port, so clients reconnect to the
same address; `pause()`/`resume()` freeze the process (SIGSTOP/SIGCONT) for
a Redis that hangs instead of refusing connections.
"""

import atexit
import contextlib
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.support.engine_process import (
    HOST,
    free_port,
    make_root,
    orphaned_roots,
    signal_if_named,
)

_PREFIX = "panggung-redis-"
_PID_FILE = "redis.pid"
_START_ATTEMPTS = 3  # a free port can be taken between picking and binding it
_READY_TIMEOUT = 10.0


class RedisUnavailable(RuntimeError):
    """redis-server is not installed."""


class RedisServer:
    def __init__(self, root: Path, binary: str) -> None:
        self.root = root
        self.port = 0
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log = root / "redis.log"

    @classmethod
    def start(cls) -> "RedisServer":
        """Start a fresh server in a temp dir; RedisUnavailable if redis-server is missing."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable(
                "redis-server was not found on PATH; run `make test`, which installs it"
            )
        reap_orphans()
        server = cls(make_root(_PREFIX), binary)
        # Registered before anything can fail, so a crash still cleans up.
        atexit.register(server.stop)
        try:
            for attempt in range(_START_ATTEMPTS):
                server.port = free_port()
                try:
                    server._launch()
                    break
                except RuntimeError:
                    if attempt + 1 == _START_ATTEMPTS or "in use" not in server.log_tail():
                        raise
        except BaseException:
            server.stop()
            raise
        return server

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash: clients see their connections reset."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGCONT)  # a paused one must die too
                self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def restart(self) -> None:
        """Kill and start again on the same port, empty (no persistence)."""
        self.kill()
        deadline = time.monotonic() + _READY_TIMEOUT
        while True:  # the port can take a moment to be free again
            try:
                self._launch()
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def pause(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server and delete its files; safe to call twice."""
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def command(self, *args: str) -> str:
        """One command through redis-cli, for checks from outside the code under test."""
        done = subprocess.run(
            ["redis-cli", "-h", HOST, "-p", str(self.port), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.strip()

    def _launch(self) -> None:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    self._binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.root),
                    "--pidfile",
                    str(self.root / _PID_FILE),
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"redis-server exited at start:\n{self.log_tail()}")
            if _answers_ping(self.port):
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"redis-server did not answer in {_READY_TIMEOUT} s:\n{self.log_tail()}")


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def reap_orphans() -> None:
    """Kill and delete servers whose test process died without cleaning up."""
    for root in orphaned_roots(_PREFIX):
        signal_if_named(root / _PID_FILE, "redis", signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
