"""Audience-scale signaling: N signaling-only listeners in one room on one node.

For each size, in one run: a fresh `panggung-server` (signaling only) on
127.0.0.1 with accounts provisioned in its database; a stage of a host, two
co-hosts and five speakers (in this process) who keep working throughout;
and N listeners in `panggung-bot load` processes (at most 4,000 each, spread
over source addresses on 127.0.0.0/8). Then:

- join storm: every listener joins at once, the stage idle; the server
  process's CPU time (not wall time: the load shares the cores) per join;
- mass departure and return: every listener drops at once, connects again
  and joins again (within the grace period) while the stage works: the
  storm's wall time, join latency (the admitted attempt), the wait for
  `busy` answers, and the stage's request latency;
- reaction storm: 10 % of the listeners react within a moment;
- frames and bytes each listener, and the moderator, receives per second
  in both storms; the stage's request latency while the storm runs; the
  moderator paging through the whole audience;
- server RSS per connected listener (joined and idle).
"""

import asyncio
import collections
import contextlib
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from app import loops
from app.bench import kernel_drops, tcp_floor
from app.bench.accounts import provision
from app.bot.load import LoopLag
from app.client.room_model import RoomModel
from app.client.session import RoomClient
from app.protocol.requests import AcceptInvite, InviteToStage, MakeCohost, SelfMute, SetTopic
from app.server.pulse import RoomPulse

PASSWORD = "bench-password-1"
PER_PROCESS = 4000
# Relative to the benchmark's own niceness (the server inherits that).
LOAD_NICE = 5
COHOSTS, SPEAKERS = 2, 5
REACTING = 0.1
# The reaction storm is counted for at least this long, and for at least one
# of the room's summary windows (app/server/pulse.py: members / 1,000 s past
# 1,000 members) plus SETTLE: counted over 3 s, a room of 5,000 or 15,000
# showed no `reactions` frame at all (the next summary was not yet due).
REACTION_WINDOW = 3.0
# Frames are counted from the storm's start to this long after its end, so
# that a once-a-second summary has its chance to arrive even after a short storm.
SETTLE = 1.0
# How long the server's idle CPU (listeners connected, not joined) is measured.
IDLE_WINDOW = 3.0
# A stage request that takes longer counts as failed (and as this long).
STAGE_TIMEOUT = 10.0
PAGE_PACE = 0.05
# What audience churn and reactions send: the summaries (stage events aside).
SUMMARIES = ("audience", "reactions")


@dataclass
class SizeResult:
    listeners: int
    signed_in: int  # of `listeners`, those whose connection and sign-in worked
    signed_in_again: int
    joined: int
    processes: int
    storm_wall_s: float
    first_p50_ms: float  # the join storm of newcomers, stage idle
    first_p99_ms: float
    returned: int  # the return storm, stage working: the figures below
    return_wall_s: float
    cpu_per_join_us: float
    idle_cpu_per_s_ms: float  # the server's CPU per second with the listeners connected, idle
    net_cpu_per_join_us: float  # cpu_per_join_us less the idle rate over the storm (computed)
    join_p50_ms: float
    join_p99_ms: float
    wait_p99_ms: float  # first attempt to admitted, `busy` waits included
    busy_answers: int
    rss_per_listener_kb: float
    join_frames_per_listener_s: float  # audience summaries and reaction bursts
    join_all_frames_per_listener_s: float  # stage events included
    reaction_all_frames_per_listener_s: float
    join_bytes_per_listener_s: float
    reaction_frames_per_listener_s: float
    reaction_bytes_per_listener_s: float
    mod_join_frames_s: float
    mod_join_bytes_s: float
    mod_reaction_frames_s: float
    mod_reaction_bytes_s: float
    stage_requests: int
    stage_failures: int
    stage_p99_ms: float
    page_p50_ms: float
    page_p99_ms: float
    paged: int
    pages: int
    join_rate: float
    # Timed inside the server (its /healthz timings, reset for each storm):
    # the first storm's and the return storm's joins, the stage's requests
    # during the return, and the loop's lag in each storm.
    server_first: dict[str, float] = field(default_factory=dict)
    server_return: dict[str, float] = field(default_factory=dict)
    server_stage: dict[str, float] = field(default_factory=dict)
    first_lag: dict[str, float] = field(default_factory=dict)
    return_lag: dict[str, float] = field(default_factory=dict)
    # CPU used during each storm, in cores: the server, the load processes,
    # this process (the stage's clients), and the whole machine.
    first_cores: dict[str, float] = field(default_factory=dict)
    return_cores: dict[str, float] = field(default_factory=dict)
    # The event loop the server ran on (its /healthz), and the one asked for
    # the server and the load processes ("" for their default).
    loop: str = ""
    loop_asked: str = ""
    # The loop lag of the processes that timed the latencies (the load processes,
    # pooled, in each storm; this process, the stage's clients, in the return):
    # the part of their figures that is their own, not the server's.
    load_first_lag: dict[str, float] = field(default_factory=dict)
    load_return_lag: dict[str, float] = field(default_factory=dict)
    bench_return_lag: dict[str, float] = field(default_factory=dict)
    # Joins that failed (not refused with `busy`) in each storm, by why: the
    # load processes' exceptions and error codes, summed.
    first_failed: dict[str, int] = field(default_factory=dict)
    return_failed: dict[str, int] = field(default_factory=dict)
    # The kernel's part of a frame with this many connections open, measured
    # right after this size with nothing of Panggung (app.bench.tcp_floor):
    # CPU per small TCP write, in bursts to all and to one at a time (µs).
    tcp_floor_burst_us: float = math.nan
    tcp_floor_single_us: float = math.nan
    # What the kernel dropped and aborted from the first connection to the end
    # of the return storm (app.bench.kernel_drops; the machine's counters).
    kernel: kernel_drops.KernelDrops = field(default_factory=kernel_drops.KernelDrops)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def _unlimited() -> None:
    # A server holding 15,000 sockets needs more than the usual 1,024 descriptors.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _nicer() -> None:
    # The load shares the 2 cores with the server: niced below it, it does not
    # starve the server it measures (the stage's clients, in this process,
    # and the server run at the benchmark's own priority).
    os.nice(LOAD_NICE)


def db_url_in(db_dir: Path) -> str:
    return f"sqlite:///{db_dir / 'bench.db'}"


class Server:
    """A real `panggung-server` process on 127.0.0.1 with its database in `db_dir`."""

    def __init__(
        self,
        db_dir: Path,
        join_rate: float | None = None,
        media: bool = True,
        options: Sequence[str] = (),
    ) -> None:
        command = [
            sys.executable,
            "-m",
            "app.server.main",
            "--port",
            "0",
            "--db",
            db_url_in(db_dir),
            "--log-level",
            "WARNING",
        ]
        if not media:
            command.append("--no-media")
        if join_rate is not None:
            command += ["--join-rate", str(join_rate)]
        command += options
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, preexec_fn=_unlimited
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("ws://"):
            raise RuntimeError("panggung-server did not start")
        self.ps = psutil.Process(self.proc.pid)

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    async def reset_timings(self) -> None:
        """Start the server's timings afresh; returns once it has (a signal is
        handled when the server's loop gets to it)."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(200):  # polled: the server is another process
            if (await self.timings())["seconds"] <= time.monotonic() - sent:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("the server did not reset its timings")

    async def timings(self) -> dict[str, Any]:
        """The server's own request timings since the last reset (/healthz)."""
        timings: dict[str, Any] = (await self.health())["timings"]
        return timings

    async def health(self) -> dict[str, Any]:
        url = self.url.replace("ws://", "http://", 1).removesuffix("/ws") + "/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as reply:
            health: dict[str, Any] = await reply.json()
        return health

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class LoadProcess:
    """One `panggung-bot load` process and its line protocol."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ps = psutil.Process(proc.pid)

    def cpu(self) -> float:
        with contextlib.suppress(psutil.Error):
            times = self.ps.cpu_times()
            return float(times.user + times.system)
        return 0.0

    @classmethod
    async def start(
        cls,
        url: str,
        room_id: str,
        tokens: Path,
        sources: list[str],
        invite: str | None = None,
        loop: str | None = None,
    ) -> "LoadProcess":
        # An invite code for invite-only rooms (the cluster benchmark's).
        extra = [f"--invite={invite}"] if invite is not None else []  # it may start with "-"
        if loop is not None:
            extra.append(f"--loop={loop}")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.bot.main",
            "load",
            "--server",
            url,
            "--join",
            room_id,
            "--tokens",
            str(tokens),
            "--sources",
            ",".join(sources),
            *extra,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,
            preexec_fn=_nicer,
        )
        return cls(proc)

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("a load process died")
        data: dict[str, Any] = json.loads(line)
        return data

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self.read()

    async def quit(self) -> None:
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()


@dataclass
class Stage:
    host: RoomClient
    cohosts: list[RoomClient]
    speakers: list[RoomClient]
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    frames: int = 0
    bytes: int = 0

    @property
    def everyone(self) -> list[RoomClient]:
        return [self.host, *self.cohosts, *self.speakers]


async def _resumed(url: str, token: str) -> RoomClient:
    client = RoomClient(url, client_name="bench", reconnect=False)
    await client.connect()
    await client.resume(token)
    return client


async def _stage(url: str, tokens: list[str]) -> tuple[Stage, str]:
    host = await _resumed(url, tokens[0])
    room = await host.create_room("Audience-scale bench", stage_capacity=13)
    others = [await _resumed(url, t) for t in tokens[1:]]
    for client in others:
        await client.join(room.room_id)
        await host.request(InviteToStage(user_id=client.user_id))
        await client.wait_until(_invited(client.user_id))
        await client.request(AcceptInvite())
    cohosts, speakers = others[:COHOSTS], others[COHOSTS:]
    for client in cohosts:
        await host.request(MakeCohost(user_id=client.user_id))
    return Stage(host, cohosts, speakers), room.room_id


def _invited(user_id: int) -> Callable[[RoomModel], bool]:
    return lambda model: model.members[user_id].invited


async def _keep_working(stage: Stage, stop: asyncio.Event) -> None:
    """The stage's ordinary traffic while a storm runs: every request timed."""

    async def timed(client: RoomClient, make: Any, pause: float) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            started = time.monotonic()
            try:
                await asyncio.wait_for(make(client, i), STAGE_TIMEOUT)
            except Exception as exc:
                stage.failures.append(f"{type(exc).__name__}: {exc}")
            stage.latencies.append(time.monotonic() - started)
            await asyncio.sleep(pause)

    async def topic(client: RoomClient, i: int) -> None:
        await client.request(SetTopic(topic=f"topic {i}"))

    async def page(client: RoomClient, i: int) -> None:
        await client.list_audience(prefix=f"l{i % 10}", limit=50)

    async def mute(client: RoomClient, i: int) -> None:
        await client.request(SelfMute(muted=i % 2 == 1))

    # Moderators look through the audience often; what everyone is told
    # (topic, mutes) changes every couple of seconds, as in a lively room.
    await asyncio.gather(
        timed(stage.host, topic, 2.0),
        *(timed(c, page, 0.25) for c in stage.cohosts),
        *(timed(s, mute, 2.0) for s in stage.speakers),
    )


class CpuMeter:
    """CPU time used by the server, the load processes, this process and the
    machine between `start` and `cores` (as cores: CPU seconds per second)."""

    def __init__(self, server: Server, procs: list[LoadProcess]) -> None:
        self._server = server
        self._procs = procs
        self._at = self._read()

    def _read(self) -> tuple[float, float, float, float, float]:
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
        load = sum(p.cpu() for p in self._procs)
        return time.monotonic(), self._server.cpu(), load, time.process_time(), busy

    def cores(self) -> dict[str, float]:
        now = self._read()
        wall = max(now[0] - self._at[0], 1e-9)
        names = ("server", "load", "bench", "machine")
        return {name: (now[i + 1] - self._at[i + 1]) / wall for i, name in enumerate(names)}


def _count_frames(client: RoomClient) -> tuple[int, int]:
    """What reached this client's socket: read off its connection's counters."""
    conn = client.conn
    return conn.frames_received, conn.bytes_received


async def measure(
    listeners: int, join_rate: float | None, options: Sequence[str] = (), loop: str | None = None
) -> SizeResult:
    members = 1 + COHOSTS + SPEAKERS + listeners
    reaction_window = max(REACTION_WINDOW, RoomPulse("").window(members) + SETTLE)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = db_url_in(Path(tmp))
        stage_names = ["host"] + [f"cohost{i}" for i in range(COHOSTS)]
        stage_names += [f"speaker{i}" for i in range(SPEAKERS)]
        names = stage_names + [f"l{i:05d}" for i in range(listeners)]
        accounts = await provision(db_url, names, PASSWORD)
        tokens = [token for _, token in accounts]
        # uvloop unless told otherwise (the server's own default is asyncio's loop).
        loop = loop or ("uvloop" if loops.uvloop_installed() else None)
        loop_options = ["--loop", loop] if loop is not None else []
        server = Server(Path(tmp), join_rate, media=False, options=[*options, *loop_options])
        procs: list[LoadProcess] = []
        stage: Stage | None = None
        try:
            loop_name = str((await server.health()).get("loop", ""))
            stage, room_id = await _stage(server.url, tokens[: len(stage_names)])
            rss_before = server.rss()
            kernel0 = kernel_drops.read()
            listener_tokens = tokens[len(stage_names) :]
            count = max(1, math.ceil(listeners / PER_PROCESS))
            for p in range(count):
                part = listener_tokens[p::count]
                path = Path(tmp) / f"tokens{p}"
                path.write_text("\n".join(part) + "\n")
                sources = [f"127.0.{p + 1}.{host}" for host in range(1, 9)]
                procs.append(await LoadProcess.start(server.url, room_id, path, sources, loop=loop))
            # On a crowded machine a few connections may fail; count who is in.
            signed_in = sum([(await proc.read())["ready"] for proc in procs])

            # What the connected listeners cost the server before anyone joins
            # (heartbeats, mostly): a rate that grows with N, whatever the joins do.
            await asyncio.sleep(1.0)
            idle0, idle_wall0 = server.cpu(), time.monotonic()
            await asyncio.sleep(IDLE_WINDOW)
            idle_rate = (server.cpu() - idle0) / (time.monotonic() - idle_wall0)

            # The join storm: newcomers, the stage idle, so that the CPU is the joins'.
            for proc in procs:
                await proc.ask("stats")  # zero the counters
            moderator = stage.cohosts[0]
            mod0 = _count_frames(moderator)
            await server.reset_timings()
            meter = CpuMeter(server, procs)
            cpu0, wall0 = server.cpu(), time.monotonic()
            joins = await asyncio.gather(*(proc.ask("join") for proc in procs))
            storm_wall, storm_cpu = time.monotonic() - wall0, server.cpu() - cpu0
            first_cores = meter.cores()
            first_timings = await server.timings()
            await asyncio.sleep(SETTLE)
            mod1 = _count_frames(moderator)
            join_stats = [await proc.ask("stats") for proc in procs]
            joined = sum(j["joined"] for j in joins)
            first_latency = [x for j in joins for x in j["latency"]]

            # Idle: what each connected listener costs the server.
            await asyncio.sleep(2.0)
            rss_after = server.rss()

            # The moderator pages through the whole audience.
            page_times: list[float] = []
            paged, cursor = 0, None
            while True:
                started = time.monotonic()
                page = await moderator.list_audience(after=cursor, limit=200)
                page_times.append(time.monotonic() - started)
                # Within the 30 requests a second a connection may send.
                await asyncio.sleep(PAGE_PACE)
                paged += len(page.members)
                if page.next is None:
                    break
                cursor = page.next

            # The reaction storm.
            for proc in procs:
                await proc.ask("stats")
            mod2 = _count_frames(moderator)
            for proc in procs:
                await proc.ask(f"react {REACTING}")
            await asyncio.sleep(reaction_window)
            mod3 = _count_frames(moderator)
            react_stats = [await proc.ask("stats") for proc in procs]

            # Everyone drops at once and comes back, while the stage works.
            for proc in procs:
                await proc.ask("drop")
            await moderator.wait_until(lambda m: m.audience.listeners == 0, timeout=300)
            back = [await proc.ask("reconnect") for proc in procs]
            signed_in_again = sum(b["ready"] for b in back)
            await server.reset_timings()
            stop = asyncio.Event()
            working = asyncio.get_running_loop().create_task(_keep_working(stage, stop))
            own_lag = LoopLag()
            sampler = asyncio.get_running_loop().create_task(own_lag.run())
            meter = CpuMeter(server, procs)
            wall2 = time.monotonic()
            returns = await asyncio.gather(*(proc.ask("join") for proc in procs))
            return_wall = time.monotonic() - wall2
            return_cores = meter.cores()
            stop.set()
            await working
            sampler.cancel()
            return_timings = await server.timings()
            returned = sum(j["joined"] for j in returns)
            latency = [x for j in returns for x in j["latency"]]
            total = [x for j in returns for x in j["total"]]
            busy = sum(j["busy"] for j in returns)
            kernel = kernel_drops.read() - kernel0
        finally:
            for proc in procs:
                await proc.quit()
            if stage is not None:
                for client in stage.everyone:
                    with contextlib.suppress(Exception):
                        await client.close()
            server.stop()

    def per_listener(stats: list[dict[str, Any]], seconds: float) -> tuple[float, float, float]:
        frames = sum(sum(s["frames"].values()) for s in stats)
        summaries = sum(s["frames"].get(kind, 0) for s in stats for kind in SUMMARIES)
        size = sum(s["bytes"] for s in stats)
        per = max(signed_in, 1) * seconds
        return summaries / per, frames / per, size / per

    window = storm_wall + SETTLE
    jf, jall, jb = per_listener(join_stats, window)
    rf, rall, rb = per_listener(react_stats, reaction_window)

    def failed(answers: list[dict[str, Any]]) -> dict[str, int]:
        why: collections.Counter[str] = collections.Counter()
        for answer in answers:
            why.update(answer.get("failed", {}))
        return dict(why)

    return SizeResult(
        listeners=listeners,
        joined=joined,
        first_failed=failed(joins),
        return_failed=failed(returns),
        processes=len(procs),
        storm_wall_s=storm_wall,
        first_p50_ms=_pct(first_latency, 50) * 1e3,
        first_p99_ms=_pct(first_latency, 99) * 1e3,
        returned=returned,
        return_wall_s=return_wall,
        cpu_per_join_us=storm_cpu / max(joined, 1) * 1e6,
        idle_cpu_per_s_ms=idle_rate * 1e3,
        net_cpu_per_join_us=max(0.0, storm_cpu - idle_rate * storm_wall) / max(joined, 1) * 1e6,
        join_p50_ms=_pct(latency, 50) * 1e3,
        join_p99_ms=_pct(latency, 99) * 1e3,
        wait_p99_ms=_pct(total, 99) * 1e3,
        busy_answers=busy,
        rss_per_listener_kb=(rss_after - rss_before) / max(joined, 1) / 1024,
        signed_in=signed_in,
        signed_in_again=signed_in_again,
        join_frames_per_listener_s=jf,
        join_all_frames_per_listener_s=jall,
        reaction_all_frames_per_listener_s=rall,
        join_bytes_per_listener_s=jb,
        reaction_frames_per_listener_s=rf,
        reaction_bytes_per_listener_s=rb,
        mod_join_frames_s=(mod1[0] - mod0[0]) / window,
        mod_join_bytes_s=(mod1[1] - mod0[1]) / window,
        mod_reaction_frames_s=(mod3[0] - mod2[0]) / reaction_window,
        mod_reaction_bytes_s=(mod3[1] - mod2[1]) / reaction_window,
        stage_requests=len(stage.latencies) if stage else 0,
        stage_failures=len(stage.failures) if stage else 0,
        stage_p99_ms=_pct(stage.latencies if stage else [], 99) * 1e3,
        page_p50_ms=_pct(page_times, 50) * 1e3,
        page_p99_ms=_pct(page_times, 99) * 1e3,
        paged=paged,
        pages=len(page_times),
        join_rate=join_rate or 300.0,
        server_first=first_timings["requests"].get("audience:join_room", {}),
        server_return=return_timings["requests"].get("audience:join_room", {}),
        server_stage=return_timings["lanes"].get("stage", {}),
        first_lag=first_timings["loop_lag"],
        return_lag=return_timings["loop_lag"],
        first_cores=first_cores,
        return_cores=return_cores,
        loop=loop_name,
        loop_asked=loop or "",
        load_first_lag=_lag_of([x for j in joins for x in j.get("lag", [])]),
        load_return_lag=_lag_of([x for j in returns for x in j.get("lag", [])]),
        bench_return_lag=_lag_of(own_lag.samples),
        kernel=kernel,
    )


async def run(
    sizes: list[int],
    join_rate: float | None = None,
    progress: Callable[[SizeResult], None] | None = None,
    options: Sequence[str] = (),
    loops: Sequence[str | None] = (None,),
) -> list[SizeResult]:
    """`options`: more of the server's command-line options, the same for every size;
    `loops`: each size is measured on each of these event loops in turn (an A/B in one run)."""
    results = []
    for n in sizes:
        for loop in loops:
            result = await measure(n, join_rate, options, loop)
            kernel = await asyncio.to_thread(tcp_floor.measure, n)
            result.tcp_floor_burst_us = kernel.burst_us
            result.tcp_floor_single_us = kernel.single_us
            results.append(result)
            if progress is not None:
                progress(results[-1])
    return results


METHOD = (
    "What is measured: one `panggung-server --no-media` process per size, on 127.0.0.1, "
    "with a stage of a host, 2 co-hosts and 5 speakers; the listeners are "
    "`panggung-bot load` processes (at most 4,000 each, 8 source addresses each on "
    "127.0.0.0/8), run 5 `nice` levels below the benchmark (which ran under `nice -n -5`, "
    "so the load ran at the machine's normal priority, the server and the stage's "
    "clients above it) so that on 2 cores shared with other work the load does not "
    "starve the server it measures. "
    "*Join storm*: every listener sends `join_room` at once, the stage "
    "idle; CPU per join = the server process's user+system CPU time during the storm / "
    "joins (it includes the `busy` answers and the summaries); *idle CPU* = the server's "
    "CPU per second over 3 s with every listener connected and signed in, before the "
    "storm; *less idle* = (storm CPU - idle CPU per second x storm wall) / joins "
    "(computed). Join latency "
    "= the admitted attempt, sent to answered, seen by the load process; *first try to in* "
    "adds the waits for `busy`. *Return storm*: every listener drops at once (a mass "
    "departure), connects and signs in again, and joins again while the host sets the "
    "topic and each speaker toggles self-mute every 2 s and the co-hosts page the "
    "audience every 0.25 s; the stage's requests are timed. *Reaction storm*: 10 % of "
    "the listeners each react once; frames counted for 3 s or, past 2,000 members, "
    "for the room's summary window (members / 1,000 s) plus 1 s, so that one summary "
    "is due within it. Summary frames are "
    "`audience` and `reactions` (the budget of ≤ 2/s); all frames adds the stage's own "
    "events. RSS per listener = (server RSS with the room full and idle - RSS before "
    "any listener connected) / listeners joined. *Timed inside the server*: each storm "
    "starts the server's own timings afresh (SIGUSR1) and reads them after (/healthz): "
    "an admitted `join_room` from its handler taking the frame to its reply written "
    "(the gate's wait included, `busy` answers apart), the stage's requests the same "
    "way, and the loop's lag (how late a 0.1 s timer ran: what a frame waits before its "
    "handler runs, which the server's request figures leave out). The server and the load "
    "processes run on uvloop (`--loop uvloop`) unless the benchmark's `--loop` says "
    "otherwise; each load process and the "
    "benchmark's own process sample their loop's lag the same way, so that the part of a "
    "latency that is the measuring process's own shows beside the server's. Computed "
    "figures say so."
)


def markdown(results: list[SizeResult]) -> str:
    # Several event loops in one run (an A/B): each row names its loop.
    multi = len({r.loop for r in results}) > 1

    def size(r: SizeResult) -> str:
        return f"{r.listeners} {r.loop}" if multi else str(r.listeners)

    rows = [
        METHOD,
        "",
        "| listeners | join storm: joined, wall (s) | server CPU per join (µs) "
        "| idle CPU (ms/s), CPU per join less idle (µs) "
        "| join p50 / p99 (ms) | return storm, stage working: back in, wall (s) "
        "| join p50 / p99 (ms) | first try to in, p99 (ms) | `busy` answers "
        "| server RSS per listener (KB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {size(r)} ({r.signed_in} signed in) | {r.joined}, {r.storm_wall_s:.1f} "
            f"| {r.cpu_per_join_us:.0f} "
            f"| {r.idle_cpu_per_s_ms:.0f}, {r.net_cpu_per_join_us:.0f} "
            f"| {r.first_p50_ms:.0f} / {r.first_p99_ms:.0f} "
            f"| {r.returned} of {r.signed_in_again}, {r.return_wall_s:.1f} "
            f"| {r.join_p50_ms:.0f} / {r.join_p99_ms:.0f} | {r.wait_p99_ms:.0f} "
            f"| {r.busy_answers} | {r.rss_per_listener_kb:.1f} |"
        )
    rows += [
        "",
        "| listeners | per listener, join storm: summary frames/s (all frames/s), bytes/s "
        "| per listener, reaction storm: summary frames/s (all frames/s), bytes/s "
        "| moderator, join storm: frames/s, bytes/s | moderator, reaction storm: frames/s, bytes/s "
        "| stage requests during the return storm: n, p99 (ms) "
        "| moderator's pages: n, p50 / p99 (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {size(r)} | {r.join_frames_per_listener_s:.2f} "
            f"({r.join_all_frames_per_listener_s:.2f}), {r.join_bytes_per_listener_s:.0f} "
            f"| {r.reaction_frames_per_listener_s:.2f} "
            f"({r.reaction_all_frames_per_listener_s:.2f}), "
            f"{r.reaction_bytes_per_listener_s:.0f} | {r.mod_join_frames_s:.1f}, "
            f"{r.mod_join_bytes_s:.0f} | {r.mod_reaction_frames_s:.1f}, "
            f"{r.mod_reaction_bytes_s:.0f} | {r.stage_requests} ({r.stage_failures} failed), "
            f"{r.stage_p99_ms:.0f} "
            f"| {r.pages} ({r.paged} listeners), {r.page_p50_ms:.0f} / {r.page_p99_ms:.0f} |"
        )
    rows += [
        "",
        "Timed inside the server (from the handler taking the frame to the reply written; "
        "loop lag = how late a 0.1 s timer ran), beside the same requests timed by their "
        "senders:",
        "",
        "| listeners | first storm joins, server: n, p50 / p99 (ms) | (load: p50 / p99) "
        "| loop lag p99 / max (ms) | return storm joins, server: n, p50 / p99 (ms) "
        "| (load: p50 / p99) | stage, server: n, p50 / p99 (ms) | (stage clients: p99) "
        "| loop lag p99 / max (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {size(r)} | {_timed(r.server_first)} "
            f"| {r.first_p50_ms:.0f} / {r.first_p99_ms:.0f} | {_lag(r.first_lag)} "
            f"| {_timed(r.server_return)} | {r.join_p50_ms:.0f} / {r.join_p99_ms:.0f} "
            f"| {_timed(r.server_stage)} | {r.stage_p99_ms:.0f} | {_lag(r.return_lag)} |"
        )
    rows += [
        "",
        "The loop lag of the processes that timed those figures (how late their own 0.1 s "
        "timer ran, p50 / p99 / max in ms; measured): the part of a latency that is the "
        "measuring process's, not the server's. The load processes pooled, in each storm; "
        "the benchmark's process (the stage's clients) in the return storm; the server's "
        "own beside them:",
        "",
        "| listeners | first storm: load | first storm: server | return storm: load "
        "| return storm: server | return storm: stage's clients |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {size(r)} | {_lags(r.load_first_lag)} | {_lags(r.first_lag)} "
            f"| {_lags(r.load_return_lag)} | {_lags(r.return_lag)} "
            f"| {_lags(r.bench_return_lag)} |"
        )
    rows += [
        "",
        "CPU used during each storm, in cores of the machine's 2 (CPU seconds per second of "
        "the storm; measured): the server, the load processes, the benchmark's process (the "
        "stage's clients), and the whole machine (everyone's work included):",
        "",
        "| listeners | join storm: server / load / bench / machine "
        "| return storm: server / load / bench / machine |",
        "|---:|---:|---:|",
    ]
    for r in results:
        rows.append(f"| {size(r)} | {_cores(r.first_cores)} | {_cores(r.return_cores)} |")
    if multi:
        rows.append("")
        rows += _loop_ratios(results)
    same_loop = [r for r in results if r.loop == results[0].loop]
    small, large = same_loop[0], same_loop[-1]
    if small is not large and small.cpu_per_join_us > 0:
        ratio = large.cpu_per_join_us / small.cpu_per_join_us
        rows += [
            "",
            f"Server CPU per join at {large.listeners} is {ratio:.2f}x the figure at "
            f"{small.listeners} (computed from the two rows above, same run; target ≤ 1.3x).",
        ]
        if small.net_cpu_per_join_us > 0:
            net = large.net_cpu_per_join_us / small.net_cpu_per_join_us
            rows.append(
                f"Less the idle listeners' own cost (heartbeats), it is {net:.2f}x (computed)."
            )
    for r in results:
        for storm, why in (("join", r.first_failed), ("return", r.return_failed)):
            if why:
                said = ", ".join(f"{n} {reason}" for reason, n in sorted(why.items()))
                rows.append(f"Joins that failed in the {storm} storm at {size(r)}: {said}.")
    rows.append(
        "The kernel meanwhile (from the first connection to the end of the return storm; "
        "the machine's counters, `app/bench/kernel_drops.py`): connections aborted on a "
        "timer (keepalive or retransmission) / packets dropped at the receive backlog: "
        + "; ".join(
            f"{r.listeners}: {r.kernel.aborted_on_timeout} / {r.kernel.backlog_dropped}"
            for r in results
        )
        + "."
    )
    if small is not large and small.tcp_floor_single_us > 0:
        rows += [
            "",
            "The kernel's part of a frame (`app/bench/tcp_floor.py`, measured after each size "
            "with nothing of Panggung: one process writes a 62-byte frame on one of N "
            "connected loopback sockets whose other ends another process reads with epoll; "
            "CPU per write, µs, in bursts to every connection once a second as a summary goes "
            "/ one random connection at a time as replies go): "
            + "; ".join(
                f"{r.listeners}: {r.tcp_floor_burst_us:.1f} / {r.tcp_floor_single_us:.1f}"
                for r in same_loop
            )
            + f". At {large.listeners} that is "
            f"{large.tcp_floor_burst_us / small.tcp_floor_burst_us:.2f}x / "
            f"{large.tcp_floor_single_us / small.tcp_floor_single_us:.2f}x the figure at "
            f"{small.listeners} (computed).",
        ]
    rows.append(
        f"Stage requests answered within: p99 {max(r.stage_p99_ms for r in results):.0f} ms "
        "at worst (target ≤ 200 ms)."
    )
    worst = max(
        max(r.join_frames_per_listener_s, r.reaction_frames_per_listener_s) for r in results
    )
    rows.append(
        "Frames per listener per second from audience churn and reactions: at most "
        f"{worst:.2f} (target ≤ 2)."
    )
    return "\n".join(rows)


def _loop_ratios(results: list[SizeResult]) -> list[str]:
    """Each size's figures on every other loop against the first loop's (computed, same run)."""
    lines = []
    for n in sorted({r.listeners for r in results}):
        at = [r for r in results if r.listeners == n]
        base = at[0]
        for other in at[1:]:
            lines.append(
                f"At {n}: {other.loop} against {base.loop} (computed, same run): server CPU per "
                f"join {_ratio(other.cpu_per_join_us, base.cpu_per_join_us)}, return storm "
                f"wall {_ratio(other.return_wall_s, base.return_wall_s)}, return joins p99 "
                f"(load) {_ratio(other.join_p99_ms, base.join_p99_ms)}, stage p99 (clients) "
                f"{_ratio(other.stage_p99_ms, base.stage_p99_ms)}."
            )
    return lines


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 and not math.isnan(a) and not math.isnan(b) else "-"


def _lag_of(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    return {
        "n": len(samples),
        "p50_ms": _pct(samples, 50) * 1e3,
        "p99_ms": _pct(samples, 99) * 1e3,
        "max_ms": max(samples) * 1e3,
    }


def _timed(summary: dict[str, float]) -> str:
    if not summary:
        return "-"
    return f"{summary['n']:.0f}, {summary['p50_ms']:.1f} / {summary['p99_ms']:.1f}"


def _lag(summary: dict[str, float]) -> str:
    if not summary:
        return "-"
    return f"{summary['p99_ms']:.0f} / {summary['max_ms']:.0f}"


def _lags(summary: dict[str, float]) -> str:
    if not summary:
        return "-"
    return f"{summary['p50_ms']:.0f} / {summary['p99_ms']:.0f} / {summary['max_ms']:.0f}"


def _cores(cores: dict[str, float]) -> str:
    if not cores:
        return "-"
    return " / ".join(f"{cores[k]:.2f}" for k in ("server", "load", "bench", "machine"))
