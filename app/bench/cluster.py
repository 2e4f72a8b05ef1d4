"""`panggung-bench cluster`: three nodes on one Redis and one PostgreSQL.

Measured, with real `panggung-server --cluster` processes and real clients:
- per-join CPU per node: each node's CPU time (/proc) over a join storm of
  light signaling listeners (`panggung-bot load` processes, as the
  signaling benchmark uses, each connected to one node) spread evenly over
  the nodes, divided by the joins it served;
- Redis commands per room event: INFO commandstats over a run of moderator
  commands, less the background loops' own rate measured in idle windows
  around it (cluster_redis), divided by the events the room numbered, at
  two audience sizes (it should not grow with the listeners);
- failover: kill -9 of the room's origin, the time until a co-host on a
  surviving node has a command accepted, and until a listener on a surviving
  node hears (the tone of) a speaker on the other surviving node again, with
  where the time went (cluster_phases); the killed node is started again
  between runs (its speaker, listener and load listeners back with it), and
  after each run the roles, hands, bans and invite links are checked against
  what they were.
"""

import asyncio
import contextlib
import functools
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from app.bench.accounts import provision
from app.bench.cluster_phases import LeaseWatch, combine
from app.bench.cluster_phases import table as phase_table
from app.bench.cluster_redis import EventWindow, count_events
from app.bench.cluster_voices import TONES, Voice, heard_again, until_heard
from app.bench.signaling import PER_PROCESS, LoadProcess
from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.protocol.model import Role
from app.protocol.replies import InviteCreated, RoomState
from app.protocol.requests import (
    ApproveHand,
    Ban,
    CreateInvite,
    JoinRoom,
    MakeCohost,
    RaiseHand,
    SetTopic,
    Sync,
)
from app.server.cluster.keys import Keys

T = TypeVar("T")

PASSWORD = "correct horse battery"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
EVENTS = 100  # topic changes per Redis count
# Joins admitted a second by each node (the server's default): the origin
# handles every one of them, so it takes up to three times this.
JOIN_RATE = 300
SETTLE = 3.0  # s after a storm before counting: the origin's pulse and mirror writes


@dataclass
class Storm:
    """One audience size's join storm (measured)."""

    size: int  # listeners in the room after it
    listeners: int  # joining in it
    signed_in: int
    joined: int
    wall_s: float
    busy: int
    unavailable: int
    processes: int
    cpu_s: dict[str, float]  # node -> CPU seconds over the storm
    joins: dict[str, int]  # node -> joins through it


@dataclass
class ClusterResult:
    listeners: list[int]
    join_cpu_ms: dict[str, float] = field(default_factory=dict)  # node (size) -> ms per join
    commands_per_event: dict[int, float] = field(default_factory=dict)  # listeners -> measured
    spublish_per_event: dict[int, float] = field(default_factory=dict)
    windows: dict[int, EventWindow] = field(default_factory=dict)
    storms: list[Storm] = field(default_factory=list)
    failovers: list[float] = field(default_factory=list)
    heard_again: list[float] = field(default_factory=list)  # per kill, s
    marks: list[dict[str, float]] = field(default_factory=list)  # per kill, s from the kill
    rejoins: list[tuple[int, int, float]] = field(default_factory=list)  # of, in, wall
    # Joins of each storm answered `unavailable` (the origin's lease suspended:
    # Redis or the origin starved past the lease) and sent again.
    join_retries: dict[int, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)  # what a run found missing
    errors: list[str] = field(default_factory=list)  # a run that failed, and why
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def net_commands_per_event(self) -> dict[int, float]:
        return {n: w.net_per_event for n, w in self.windows.items()}

    @property
    def net_spublish_per_event(self) -> dict[int, float]:
        return {n: w.spublish()[1] for n, w in self.windows.items()}


class Node:
    def __init__(
        self, name: str, port: int, db: str, redis: str, options: tuple[str, ...] = ()
    ) -> None:
        self.name, self.port, self.db, self.redis = name, port, db, redis
        self.options = options  # more panggung-server flags (the broadcast benchmark's)
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> None:
        self.launch()
        self.ready()

    def launch(self) -> None:
        command = [
            sys.executable, "-m", "app.server.main",
            "--port", str(self.port), "--db", self.db, "--cluster", self.redis,
            "--node-name", self.name, "--join-rate", str(JOIN_RATE), "--log-level", "WARNING",
            *self.options,
        ]  # fmt: skip
        # Each node's warnings (suspended leases, takeovers) for after the run.
        # Named for this run's process: the smoke test in other runs of the
        # suite starts nodes of the same names at the same time.
        log = Path(tempfile.gettempdir()) / f"panggung-bench-cluster-{os.getpid()}-{self.name}.log"
        with log.open("a") as stderr:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, text=True
            )

    def ready(self) -> None:
        """Wait for the node's first line (its URL): it listens and has joined."""
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("ws://"):
            raise RuntimeError(f"node {self.name} did not start")

    def cpu_seconds(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def client(
    url: str, name: str, register: bool = True, *, reconnect: bool = False
) -> RoomClient:
    made = RoomClient(url, client_name="bench", reconnect=reconnect)
    await made.connect()
    if register:
        await made.register(name, PASSWORD)
    else:
        await made.login(name, PASSWORD)
    return made


async def accepted(who: RoomClient, request: SetTopic, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await who.request(request)
            return time.monotonic()
        except RequestFailed as exc:
            if exc.code != "unavailable" or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


async def retried(call: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
    """`call` again while it is answered `unavailable` (an origin too busy to
    answer a forwarded request within its timeout: the 20,000 room's origin
    right after its storm), as a client told "try again in a moment" does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except RequestFailed as exc:
            if exc.code != "unavailable" or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


class Audience:
    """The light listeners: `panggung-bot load` processes, each on one node."""

    def __init__(self, room_id: str, code: str | None, workdir: Path) -> None:
        self.room_id, self.code, self.workdir = room_id, code, workdir
        self.procs: list[tuple[int, LoadProcess]] = []  # (node index, process)

    async def add(self, node: int, url: str, tokens: list[str]) -> list[LoadProcess]:
        """Start processes for these listeners on `node` (at most PER_PROCESS each)."""
        made = []
        count = math.ceil(len(tokens) / PER_PROCESS)
        for part in range(count):
            n = len(self.procs)
            path = self.workdir / f"tokens{n}"
            path.write_text("\n".join(tokens[part::count]) + "\n")
            sources = [f"127.0.{n + 1}.{host}" for host in range(1, 9)]
            proc = await LoadProcess.start(url, self.room_id, path, sources, invite=self.code)
            self.procs.append((node, proc))
            made.append(proc)
        return made

    def on(self, node: int) -> list[LoadProcess]:
        return [proc for i, proc in self.procs if i == node]

    async def quit(self) -> None:
        for _, proc in self.procs:
            await proc.quit()


async def _storm(
    nodes: list[Node], audience: Audience, tokens: dict[str, str], first: int, size: int
) -> Storm:
    started: list[tuple[int, LoadProcess]] = []
    for i, node in enumerate(nodes):
        mine = [tokens[f"l{n}"] for n in range(first, size) if n % len(nodes) == i]
        if mine:
            started += [(i, p) for p in await audience.add(i, node.url, mine)]
    signed_in = sum([(await proc.read())["ready"] for _, proc in started])
    before = [node.cpu_seconds() for node in nodes]
    wall = time.monotonic()
    answers = await asyncio.gather(*(proc.ask("join") for _, proc in started))
    wall = time.monotonic() - wall
    await asyncio.sleep(1.5)  # the origin's pulse and mirror writes for the last joins
    after = [node.cpu_seconds() for node in nodes]
    joins = {node.name: 0 for node in nodes}
    for (i, _), answer in zip(started, answers, strict=True):
        joins[nodes[i].name] += answer["joined"]
    return Storm(
        size=size,
        listeners=size - first,
        signed_in=signed_in,
        joined=sum(a["joined"] for a in answers),
        wall_s=wall,
        busy=sum(a["busy"] for a in answers),
        unavailable=sum(a.get("unavailable", 0) for a in answers),
        processes=len(started),
        cpu_s={n.name: a - b for n, b, a in zip(nodes, before, after, strict=True)},
        joins=joins,
    )


async def run(
    db_url: str,
    redis_port: int,
    listeners: list[int],
    kills: int,
    base_port: int = 19765,
    budget: float | None = None,
) -> ClusterResult:
    """`budget`: seconds from the start after which no kill run starts (a
    benchmark slot on a shared machine); the runs not started are reported."""
    ends = time.monotonic() + budget if budget is not None else math.inf
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    nodes = [Node(f"n{i}", base_port + i, db_url, redis_url) for i in range(3)]
    result = ClusterResult(listeners, load_before=os.getloadavg())
    clients: list[RoomClient] = []
    voices: list[Voice] = []
    workdir = Path(tempfile.mkdtemp(prefix="panggung-bench-cluster-"))
    audience: Audience | None = None
    watch: LeaseWatch | None = None
    try:
        for node in nodes:  # started together: a node takes seconds to import and migrate
            node.launch()
        for node in nodes:
            await asyncio.to_thread(node.ready)
        # Accounts straight into the store (Argon2 for thousands is not the point);
        # the nodes' schema is in place once they are up.
        names = [f"speaker{i}" for i in range(3)] + [f"ear{i}" for i in range(3)]
        names += [f"l{n}" for n in range(listeners[-1])]
        tokens = {
            name: token
            for name, (_, token) in zip(
                names, await provision(db_url, names, PASSWORD), strict=True
            )
        }
        host = await client(nodes[0].url, "host")
        cohosts = [await client(nodes[i].url, f"cohost{i}") for i in range(3)]
        clients += [host, *cohosts]
        room = await host.create_room("Bench", invite_only=True)
        rid = room.room_id
        code = (await host.conn.call_for(CreateInvite(), InviteCreated)).code
        for c in cohosts:
            await c.join(rid, code)
            await c.request(RaiseHand())
            await host.request(ApproveHand(user_id=c.user_id))
            await host.request(MakeCohost(user_id=c.user_id))
        banned = await client(nodes[1].url, "banned")
        clients.append(banned)
        await banned.join(rid, code)
        await host.request(Ban(user_id=banned.user_id))
        hand = await client(nodes[2].url, "hand")
        clients.append(hand)
        await hand.join(rid, code)
        await hand.request(RaiseHand())
        audience = Audience(rid, code, workdir)

        async def last_seq() -> int:
            return (await host.conn.call_for(Sync(), RoomState)).room.seq

        async def topics(size: int) -> None:
            for n in range(EVENTS):
                await cohosts[1].request(SetTopic(topic=f"t{size}-{n}"))
                await asyncio.sleep(0.05)  # under the server's 30 messages/s per connection
            await asyncio.sleep(1.0)  # the last events' mirror and listing writes

        joined = 0
        for size in listeners:
            try:
                storm = await _storm(nodes, audience, tokens, joined, size)
            except Exception as exc:
                result.errors.append(f"the storm to {size:,}: {type(exc).__name__}: {exc}")
                kills = 0
                break
            result.storms.append(storm)
            result.join_retries[size] = storm.unavailable
            for node in nodes:
                served = max(1, storm.joins[node.name])
                result.join_cpu_ms[f"{node.name} ({size})"] = storm.cpu_s[node.name] * 1000 / served
            joined = size
            await asyncio.sleep(SETTLE)
            window = await count_events(redis_port, last_seq, functools.partial(topics, size))
            result.windows[size] = window
            result.commands_per_event[size] = window.gross_per_event
            result.spublish_per_event[size] = window.spublish()[0]

        # A speaker and a listener with audio on each node (after the storms, so
        # that the origin's mixer is not in the per-join CPU).
        speakers: list[Voice | None] = [None] * 3
        ears: list[Voice | None] = [None] * 3

        async def voices_on(i: int) -> None:
            speaker = await Voice.open(nodes[i].url, tokens[f"speaker{i}"], TONES[i])
            ear = await Voice.open(nodes[i].url, tokens[f"ear{i}"])
            voices.extend((speaker, ear))
            me = speaker.client.user_id
            # Back after its node's restart, a speaker is still on the stage.
            joined = await retried(lambda: speaker.client.join(rid, code))
            if joined.role_of(me) != Role.SPEAKER:
                await retried(lambda: speaker.client.request(RaiseHand()))
                await retried(lambda: host_of(cohosts, i).request(ApproveHand(user_id=me)))
                await speaker.client.wait_until(lambda m: m.role_of(me) == Role.SPEAKER, 15)
            await retried(lambda: ear.client.join(rid, code))
            await speaker.start_audio()
            await ear.start_audio()
            speakers[i], ears[i] = speaker, ear

        try:
            for i in range(kills and 3):
                await voices_on(i)
        except Exception as exc:
            result.errors.append(f"setting the voices up: {type(exc).__name__}: {exc}")
            kills = 0

        watch = LeaseWatch(redis_port, Keys.for_database("panggung", 0).room(rid).lease)

        async def one_kill(run_no: int) -> None:
            nonlocal host, hand
            # The origin: whichever node says it holds the room.
            holder = await _holder(nodes)
            survivor, other = (holder + 1) % 3, (holder + 2) % 3
            ear, tone, speaker = ears[survivor], TONES[other], speakers[other]
            assert ear is not None and speaker is not None
            await until_heard(ear, tone)
            ear.link.marks.clear()
            speaker.link.marks.clear()
            old = await watch.token()
            nodes[holder].kill()
            killed = time.monotonic()
            await watch.start(killed, old)
            try:
                took, heard = await asyncio.gather(
                    accepted(cohosts[survivor], SetTopic(topic=f"after kill {run_no}")),
                    heard_again(ear, tone, killed),
                )
            except Exception as exc:
                # How far the failover got, for the report: the marks so far.
                await watch.stop()
                so_far = combine(watch.marks, ear.link.marks, speaker.link.marks, math.nan)
                got = ", ".join(f"{k} {v:.2f}" for k, v in so_far.items() if k != "heard")
                raise RuntimeError(
                    f"{type(exc).__name__}: {exc} (marks, s from the kill: {got})"
                ) from exc
            await watch.stop()
            result.failovers.append(took - killed)
            result.heard_again.append(heard)
            result.marks.append(combine(watch.marks, ear.link.marks, speaker.link.marks, heard))
            snap = (await cohosts[survivor].conn.call_for(Sync(), RoomState)).room
            members = {m.user_id: m for m in snap.members}
            for c in cohosts:
                if c is not cohosts[holder] and members.get(c.user_id) is None:
                    result.lost.append(f"run {run_no}: co-host {c.username}")
                elif c is not cohosts[holder] and members[c.user_id].role != Role.COHOST:
                    result.lost.append(f"run {run_no}: {c.username}'s role")
            for v in (speakers[survivor], speakers[other]):
                assert v is not None
                seen = members.get(v.client.user_id)
                if seen is None or seen.role != Role.SPEAKER:
                    result.lost.append(f"run {run_no}: {v.client.username}'s place on stage")
            if hand.user_id not in members or members[hand.user_id].hand_raised_at is None:
                result.lost.append(f"run {run_no}: the raised hand")
            probe = await client(nodes[survivor].url, f"probe{run_no}")
            clients.append(probe)
            try:
                await probe.join(rid)
                result.lost.append(f"run {run_no}: the invite-only gate")
            except RequestFailed as exc:
                if exc.code != "invite_required":
                    result.lost.append(f"run {run_no}: {exc.code}")
            # The banned member tries again through a surviving node.
            again = await client(nodes[survivor].url, "banned", register=False)
            clients.append(again)
            try:
                await again.request(JoinRoom(room_id=rid, invite_code=code))
                result.lost.append(f"run {run_no}: the ban")
            except RequestFailed as exc:
                if exc.code != "banned":
                    result.lost.append(f"run {run_no}: the ban ({exc.code})")
            # The invite link still admits.
            guest = await client(nodes[other].url, f"guest{run_no}")
            clients.append(guest)
            try:
                await guest.join(rid, code)
            except RequestFailed as exc:
                result.lost.append(f"run {run_no}: the invite link ({exc.code})")
            await asyncio.to_thread(nodes[holder].start)
            # Its members come back through it again.
            back = await client(nodes[holder].url, cohosts[holder].username, register=False)
            clients.append(back)
            await back.join(rid, code)
            cohosts[holder] = back
            # The host and the member with a hand up come back through it too,
            # within the grace period (else the host role passes on and the
            # hand goes with its member, as they should, and the checks say lost).
            if holder == 0:
                host = await client(nodes[0].url, "host", register=False)
                clients.append(host)
                await host.join(rid, code)
            if holder == 2:
                hand = await client(nodes[2].url, "hand", register=False)
                clients.append(hand)
                await hand.join(rid, code)
            for dead in (speakers[holder], ears[holder]):
                if dead is not None:
                    voices.remove(dead)
                    await dead.close()
            await voices_on(holder)
            result.rejoins.append(await _rejoin(audience.on(holder)))

        # A run that fails is reported with what was measured before it (the
        # state of the nodes after a failure is not one to measure on).
        for run_no in range(kills):
            if time.monotonic() > ends:
                result.errors.append(
                    f"the time budget ({budget:.0f} s) ran out after {run_no} of {kills} kill runs"
                )
                break
            try:
                await one_kill(run_no)
            except Exception as exc:
                result.errors.append(f"kill run {run_no}: {type(exc).__name__}: {exc}")
                break
    finally:
        result.load_after = os.getloadavg()
        if watch is not None:
            await watch.close()
        for v in voices:
            await v.close()
        for c in clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.close(), 5)
        if audience is not None:
            await audience.quit()
        for node in nodes:
            node.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


async def _rejoin(procs: list[LoadProcess]) -> tuple[int, int, float]:
    """The killed node's light listeners connect to it again (it is back) and
    rejoin: how many there were, how many got in, and how long it took."""
    start = time.monotonic()
    ready = sum([(await proc.ask("reconnect"))["ready"] for proc in procs])
    answers = await asyncio.gather(*(proc.ask("join") for proc in procs))
    return ready, sum(a["joined"] for a in answers), time.monotonic() - start


def host_of(cohosts: list[RoomClient], i: int) -> RoomClient:
    """A moderator connected to a node other than `i` (which may just be back)."""
    return cohosts[(i + 1) % 3]


async def _holder(nodes: list[Node]) -> int:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for i, node in enumerate(nodes):
            async with session.get(f"http://127.0.0.1:{node.port}/healthz") as response:
                if (await response.json())["rooms"] == 1:
                    return i
    raise RuntimeError("no node holds the room")


def markdown(result: ClusterResult) -> str:
    lines = [
        "Three `panggung-server --cluster` nodes (with media) on this machine with "
        "Redis and PostgreSQL, all in one invite-only room. The listeners are light "
        "signaling clients in `panggung-bot load` processes (the signaling benchmark's, "
        f"at most {PER_PROCESS:,} a process, niced 5 below the benchmark, each process "
        "connected to one node, spread evenly; accounts written into the store first); "
        "the host, the co-hosts and, for the failover runs, a speaker sending a tone and "
        "a listener with a real audio link (aiortc on 127.0.0.1) on each node are full "
        "`RoomClient`s. Load average (`os.getloadavg`, 1/5/15 min): "
        f"{_load(result.load_before)} before, {_load(result.load_after)} after.",
        "",
        f"Join storms (every new listener sends `join_room` at once; each node admits "
        f"{JOIN_RATE} a second, the server's default, and the others wait or are told "
        "`busy`. Measured; each node's CPU is its process's user+system time over "
        "the storm, divided by the joins through it: a node's own joins, and the origin "
        "also handles every joined listener's forwarded join):",
        "",
        "| listeners after the storm | joining, signed in, joined | wall, s | busy / unavailable "
        "answers sent again | CPU per join, ms: n0 / n1 / n2 (all nodes' CPU / all joins) |",
        "|---|---|---|---|---|",
    ]
    for storm in result.storms:
        per = " / ".join(
            f"{result.join_cpu_ms.get(f'{name} ({storm.size})', math.nan):.2f}"
            for name in storm.cpu_s
        )
        total = sum(storm.cpu_s.values()) * 1000 / max(1, storm.joined)
        lines.append(
            f"| {storm.size:,} | {storm.listeners:,}, {storm.signed_in:,}, {storm.joined:,} "
            f"| {storm.wall_s:.1f} | {storm.busy:,} / {storm.unavailable:,} | {per} "
            f"({total:.2f}) |"
        )
    lines += [
        "",
        f"Redis commands per room event: {EVENTS} topic changes by a co-host on a node "
        "that is not the origin (forwarded), INFO commandstats over them; the idle rate "
        "is measured over an idle window before and one after (5 s each, no requests); "
        "*less idle* = (commands in the window - idle rate x window) / events (computed).",
        "",
        "| listeners | events, window s | all commands per event: measured, less idle "
        "| SPUBLISH per event: measured, less idle | idle: commands per s |",
        "|---|---|---|---|---|",
    ]
    for size, w in result.windows.items():
        spub, spub_net = w.spublish()
        lines.append(
            f"| {size:,} | {w.events}, {w.seconds:.1f} | {w.gross_per_event:.2f}, "
            f"{w.net_per_event:.2f} | {spub:.2f}, {spub_net:.2f} | {w.idle_per_second:.1f} |"
        )
    if result.windows:
        lines += ["", _breakdown(result.windows)]
    if result.failovers:
        lines += [
            "",
            f"Failover over {len(result.failovers)} kill -9 runs of the origin, each "
            "timed from the kill (the killed node is started again between runs):",
            "",
            "| from the kill until | p50, s | worst, s | all runs, s |",
            "|---|---|---|---|",
            _times("a co-host on a surviving node has a command accepted", result.failovers),
        ]
        if result.heard_again:
            lines.append(
                _times(
                    "a listener on a surviving node hears a speaker on the other surviving "
                    "node again (end of the first 0.25 s window with the tone)",
                    result.heard_again,
                )
            )
        if result.marks:
            lines += [
                "",
                "Where the time to *heard again* went (marks on the benchmark's clock: the "
                "lease's PTTL read just after the kill, the lease key polled every 10 ms, "
                "the listener's and the speaker's links noting the new epoch, the answer "
                "to their re-offer and ICE+DTLS connected; the phases are differences of "
                "marks, computed):",
                "",
                *phase_table(result.marks),
            ]
        if result.rejoins:
            back = ", ".join(f"{n:,} of {of:,} in {t:.0f} s" for of, n, t in result.rejoins)
            lines += [
                "",
                "The killed node's light listeners, after it was started again "
                f"(reconnected and joined, per run): {back}.",
            ]
        lines += [
            "",
            f"Lost across runs: {', '.join(result.lost) or 'nothing'} (after each run: the "
            "co-hosts' roles, the speakers' places, the raised hand, the ban, the "
            "invite-only gate and the invite link).",
        ]
    if result.errors:
        lines += ["", f"**Failed**: {'; '.join(result.errors)}."]
    return "\n".join(lines) + "\n"


def _breakdown(windows: dict[int, EventWindow]) -> str:
    """The commands that make up the figures, per size: less idle per event, and
    idle per second (both computed from the measured counts)."""
    sizes = list(windows)
    names = sorted(
        {k for w in windows.values() for k in (*w.during, *w.idle)},
        key=lambda k: -max(abs(w.net.get(k, 0.0)) for w in windows.values()),
    )
    head = " | ".join(f"{n:,}: per event less idle, idle per s" for n in sizes)
    rows = [f"| command | {head} |", "|---|" + "---|" * len(sizes)]
    for name in names:
        cells = " | ".join(
            f"{windows[n].net.get(name, 0.0):.2f}, "
            f"{windows[n].idle.get(name, 0) / windows[n].idle_seconds:.1f}"
            for n in sizes
        )
        rows.append(f"| {name} | {cells} |")
    return "\n".join(rows)


def _load(avg: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in avg)


def _times(what: str, times: list[float]) -> str:
    ordered = sorted(times)
    every = ", ".join(f"{t:.2f}" for t in times)
    return f"| {what} | {statistics.median(ordered):.2f} | {ordered[-1]:.2f} | {every} |"


def _nice() -> list[str]:
    """Redis ahead of everything else on this shared machine (root only): it
    stands for a Redis host of its own, and starved of CPU by other runs it
    stopped answering within a lease."""
    return ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def start_redis() -> tuple[subprocess.Popen[bytes], int, str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    workdir = tempfile.mkdtemp(prefix="panggung-bench-redis-")
    process = subprocess.Popen(
        [*_nice(), "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        done = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True)
        if done.stdout.strip() == b"PONG":
            break
        time.sleep(0.1)
    return process, port, workdir
