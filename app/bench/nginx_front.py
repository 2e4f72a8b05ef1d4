"""The broadcast benchmark's caching tier: a real nginx (Debian's) in front of
the origin's /hls/, configured as docs/cluster.md shows, in a temp dir.

Its access log names, per request, the file, the status and whether it went
to the origin (`$upstream_addr` is "-" when the cache answered), so the
origin's fetches per file are counted from outside the server.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

BINARY = "/usr/sbin/nginx"
HOST = "127.0.0.1"
WORKERS = 2  # one per core: the HLS clients' requests are nginx's whole work
# Below the machine's hard limit of 20,000 descriptors per process
# (/work/shared/notes/scale-testing.md): a client connection each, plus the
# origin's keepalive connections and the cache's files.
CONNECTIONS = 19_000

# The part a deployment copies: docs/cluster.md shows the same block.
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


def nginx_conf(
    root: Path,
    upstream: str,
    port: int,
    *,
    log_format: str,
    workers: int,
    connections: int,
    nofile: int | None = None,
    keepalive_requests: int | None = None,
    backlog: int | None = None,
) -> str:
    """nginx.conf for a caching front on HOST:`port` before `upstream` (host:port),
    with every path nginx writes (pid, logs, temp files, the cache) under `root`.

    `log_format` is the access log's line (access.log); `nofile`,
    `keepalive_requests` and `backlog` are left at nginx's defaults when None.
    """
    r = root
    user = "user root root;" if os.geteuid() == 0 else ""  # workers may write the cache
    rlimit = f"worker_rlimit_nofile {nofile};" if nofile is not None else ""
    keepalive = (
        f"keepalive_requests {keepalive_requests};" if keepalive_requests is not None else ""
    )
    listen = f"{HOST}:{port}" + (f" backlog={backlog}" if backlog is not None else "")
    return f"""
{user}
worker_processes {workers};
{rlimit}
daemon off;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    log_format hls '{log_format}';
    access_log {r}/access.log hls;
    {keepalive}
    client_body_temp_path {r}/body;
    proxy_temp_path {r}/proxy;
    fastcgi_temp_path {r}/fastcgi;
    uwsgi_temp_path {r}/uwsgi;
    scgi_temp_path {r}/scgi;
    proxy_cache_path {r}/cache levels=1:2 keys_zone=hls:10m max_size=256m inactive=2m
                     use_temp_path=off;
    upstream panggung_origin {{
        server {upstream};
        keepalive 16;
    }}
    server {{
        listen {listen};
        {HLS_LOCATION}
    }}
}}
"""


@dataclass
class Fetches:
    """What nginx's log says about a stretch of requests (measured)."""

    requests: int  # all requests the clients made since the mark
    origin: dict[str, int]  # file -> requests nginx sent to the origin since the mark
    clients: dict[str, int]  # file -> requests the clients made since the mark
    ever: dict[str, int]  # file -> requests nginx sent to the origin since it started

    def per_segment(self) -> list[int]:
        """Origin fetches (since nginx started: a segment's may come before the
        mark) of each segment the clients fetched since the mark."""
        return [self.ever.get(name, 0) for name in self.clients if name.endswith(".m4s")]

    @property
    def playlist_fetches(self) -> int:
        return self.origin.get("index.m3u8", 0)


class NginxFront:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.root = Path(tempfile.mkdtemp(prefix="panggung-bench-nginx-"))
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        if not os.access(BINARY, os.X_OK):
            raise RuntimeError(f"{BINARY} is not installed (scripts/ensure-system.sh installs it)")
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = int(probe.getsockname()[1])
        conf = self.root / "nginx.conf"
        conf.write_text(self._conf())
        self._process = subprocess.Popen(
            [BINARY, "-p", str(self.root), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("ab"),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nginx exited at start: {self._tail()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen within 10 s: {self._tail()}")

    def cpu_seconds(self) -> float:
        """The master's and the workers' CPU (user + system), so far."""
        if self._process is None:
            return 0.0
        total = 0.0
        with contextlib.suppress(psutil.Error):
            master = psutil.Process(self._process.pid)
            for proc in [master, *master.children()]:
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    total += times.user + times.system
        return total

    def mark(self) -> None:
        """Count fetches from here on (`fetches()`)."""
        path = self.root / "access.log"
        self._log_offset = path.stat().st_size if path.exists() else 0

    def fetches(self) -> Fetches:
        origin: collections.Counter[str] = collections.Counter()
        clients: collections.Counter[str] = collections.Counter()
        ever: collections.Counter[str] = collections.Counter()
        requests = offset = 0
        path = self.root / "access.log"
        if path.exists():
            with path.open("rb") as log:
                for raw in log:
                    marked = offset >= self._log_offset
                    offset += len(raw)
                    parts = raw.decode(errors="replace").split()
                    if len(parts) < 3:
                        continue
                    name = parts[0].rsplit("/", 1)[-1]
                    fetched = parts[2] != "-"
                    ever[name] += fetched
                    if marked:
                        requests += 1
                        clients[name] += 1
                        origin[name] += fetched
        return Fetches(requests, dict(origin), dict(clients), dict(ever))

    def stop(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGQUIT)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _conf(self) -> str:
        # `$upstream_addr` is "-" when the cache answered: fetches() counts on it.
        return nginx_conf(
            self.root,
            self.upstream,
            self.port,
            log_format="$request_uri $status $upstream_addr",
            workers=WORKERS,
            connections=CONNECTIONS,
            nofile=CONNECTIONS + 500,
            keepalive_requests=100_000,
            backlog=4096,
        )

    def _tail(self) -> str:
        text = ""
        for name in ("stderr.log", "error.log"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(errors="replace")[-1500:]
        return text or "(no log)"
