"""Thousands of HLS clients for the mixed load, with wrk (Debian's `wrk`, C).

A Python player (hls_load) costs about half a millisecond of CPU per request;
thousands of them polling twice a second would take more than this machine's
two cores from the servers they load. wrk keeps N connections open and, with
the Lua script below, makes each behave as a player does at the HTTP level:
a request every half second on its own keep-alive connection, alternately the
playlist and the newest segment it listed (the thread's last playlist: wrk's
Lua state is per thread, not per connection). At the end it prints its counts
as JSON: requests, playlists, segments, bad statuses, socket errors, bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil

PACE_MS = 500  # between a connection's answer and its next request: 2 requests a second

SCRIPT = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  playlist = args[1]
  base = playlist:match("^(.*)/[^/]*$")
  latest = nil
  turn = 0
  requests, playlists, segments, bad = 0, 0, 0, 0
end
function delay()
  return PACE
end
function request()
  turn = turn + 1
  requests = requests + 1
  if latest == nil or turn % 2 == 1 then
    return wrk.format("GET", playlist)
  end
  return wrk.format("GET", base .. "/" .. latest)
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif body:sub(1, 7) == "#EXTM3U" then
    playlists = playlists + 1
    for name in body:gmatch("([0-9a-f]+%-[0-9]+%.m4s)") do latest = name end
  else
    segments = segments + 1
  end
end
function done(summary, latency, reqs)
  local p, s, b = 0, 0, 0
  for _, t in ipairs(threads) do
    p = p + t:get("playlists")
    s = s + t:get("segments")
    b = b + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "playlists": %d, "segments": %d, "bad": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "seconds": %f, ' ..
    '"p99_ms": %f}\\n',
    summary.requests, p, s, b, summary.bytes, e.connect, e.read, e.write, e.timeout,
    summary.duration / 1e6, latency:percentile(99) / 1e3))
end
"""


@dataclass
class WrkCounts:
    """wrk's own counts over its run (measured)."""

    clients: int
    requests: int
    playlists: int
    segments: int
    bad: int  # answers other than 200
    bytes: int
    connect: int  # socket errors, by kind
    read: int
    write: int
    timeout: int
    seconds: float
    p99_ms: float

    @property
    def errors(self) -> int:
        return self.bad + self.connect + self.read + self.write + self.timeout


class WrkLoad:
    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="panggung-bench-wrk-"))
        self._proc: asyncio.subprocess.Process | None = None
        self.clients = 0

    @staticmethod
    def available() -> bool:
        return shutil.which("wrk") is not None

    async def start(self, playlist_url: str, clients: int, seconds: float) -> None:
        """`clients` connections polling `playlist_url` for `seconds`."""
        script = self._dir / "hls.lua"
        script.write_text(SCRIPT.replace("PACE", str(PACE_MS)))
        parts = urlsplit(playlist_url)
        self.clients = clients
        self._proc = await asyncio.create_subprocess_exec(
            "wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "5s",
            "-s", str(script), f"{parts.scheme}://{parts.netloc}", "--", parts.path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=_raise_limit,
        )  # fmt: skip

    def cpu_seconds(self) -> float:
        if self._proc is None:
            return 0.0
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(self._proc.pid).cpu_times()
            return float(times.user + times.system)
        return 0.0

    async def finish(self) -> WrkCounts:
        """Wait for the run's end; its counts."""
        assert self._proc is not None
        out, err = await self._proc.communicate()
        line = next((x for x in out.decode().splitlines() if x.startswith("{")), None)
        if line is None:
            raise RuntimeError(f"wrk gave no counts: {err.decode()[-500:]}")
        counts = json.loads(line)
        return WrkCounts(clients=self.clients, **counts)

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)


def _raise_limit() -> None:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.nice(5)
