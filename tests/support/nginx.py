"""A throwaway nginx for tests: a caching tier on 127.0.0.1, a free port, its own prefix.

The configuration is the broadcast tier's front from docs/cluster.md (the
`location /hls/` block), written into a temp dir with every path nginx
writes (pid, logs, temp files, the cache) inside it. The access log names
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

from tests.support.engine_process import (
    HOST,
    free_port,
    make_root,
    orphaned_roots,
    signal_if_named,
)

BINARY = "/usr/sbin/nginx"
_PREFIX = "panggung-nginx-"
_READY_TIMEOUT = 10.0

# The part a deployment copies (docs/cluster.md shows the same block).
HLS_LOCATION = """
        location /hls/ {
            proxy_pass http://panggung_origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_cache hls;
            # One request per file reaches the origin; the rest wait for it.
            proxy_cache_lock on;
            proxy_cache_lock_timeout 6s;        # above the origin's 5 s first-playlist wait
            proxy_cache_lock_age 6s;
            # While the playlist is refreshed, others get the one-second-old copy.
            proxy_cache_use_stale updating error timeout;
            # The origin's Cache-Control decides (playlist 1 s, segments a year,
            # private streams never); these are only for answers without one.
            proxy_cache_valid 404 1s;
            add_header X-Cache-Status $upstream_cache_status always;
        }
"""


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
        r = self.root
        user = "user root root;" if os.geteuid() == 0 else ""  # workers may write the cache
        return f"""
{user}
worker_processes 1;
daemon off;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    log_format hls '$request_uri $status $upstream_cache_status';
    access_log {r}/access.log hls;
    client_body_temp_path {r}/body;
    proxy_temp_path {r}/proxy;
    fastcgi_temp_path {r}/fastcgi;
    uwsgi_temp_path {r}/uwsgi;
    scgi_temp_path {r}/scgi;
    proxy_cache_path {r}/cache levels=1:2 keys_zone=hls:10m max_size=256m inactive=2m
                     use_temp_path=off;
    upstream panggung_origin {{
        server {self.upstream};
        keepalive 16;
    }}
    server {{
        listen {HOST}:{self.port};
        {HLS_LOCATION}
    }}
}}
"""

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
