"""A throwaway nginx for tests: a caching tier on 127.0.0.1, a free port, its own prefix.

The configuration is the broadcast tier's front from docs/cluster.md (the
`location /hls/` block), built by app.bench.nginx_front.nginx_conf with
every path nginx writes (pid, logs, temp files, the cache) in a temp dir. The access log names
each request's cache status, for checks from outside the code under test.
"""

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from app.bench.nginx_front import BINARY, nginx_conf
from tests.support.engine_process import (
    HOST,
    free_port,
    make_root,
    orphaned_roots,
    signal_if_named,
)

_PREFIX = "panggung-nginx-"
_READY_TIMEOUT = 10.0


class NginxUnavailable(RuntimeError):
    """nginx is not installed."""


class NginxServer:
    def __init__(self, root: Path, upstream: str) -> None:
        self.root = root
        self.upstream = upstream
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, upstream: str) -> "NginxServer":
        """nginx caching `upstream` (host:port); NginxUnavailable if it is not installed."""
        if not os.access(BINARY, os.X_OK):
            raise NginxUnavailable(f"{BINARY} was not found; run `make test`, which installs it")
        _reap_orphans()
        server = cls(make_root(_PREFIX), upstream)
        atexit.register(server.stop)
        try:
            server.port = free_port()
            server._launch()
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def access_log(self) -> list[str]:
        """`URI STATUS CACHE-STATUS` per request, in order."""
        path = self.root / "access.log"
        return path.read_text().splitlines() if path.is_file() else []

    def stop(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGQUIT)  # graceful: workers exit too
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _conf(self) -> str:
        return nginx_conf(
            self.root,
            self.upstream,
            self.port,
            log_format="$request_uri $status $upstream_cache_status",
            workers=1,
            connections=8192,
        )

    def _launch(self) -> None:
        conf = self.root / "nginx.conf"
        conf.write_text(self._conf())
        log = (self.root / "stderr.log").open("ab")
        self._process = subprocess.Popen(
            [BINARY, "-p", str(self.root), "-c", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
        )
        log.close()
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"nginx exited at start:\n{self._log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return
            time.sleep(0.02)
        raise RuntimeError(f"nginx did not listen in {_READY_TIMEOUT} s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        text = ""
        for name in ("stderr.log", "error.log"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(errors="replace")[-2000:]
        return text or "(no log)"


def _reap_orphans() -> None:
    """Stop and delete the nginx of a test process that died without cleaning up."""
    for root in orphaned_roots(_PREFIX):
        signal_if_named(root / "nginx.pid", "nginx", signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)
