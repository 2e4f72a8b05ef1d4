"""`panggung-bench cluster`: three nodes on one Redis and one PostgreSQL.

Measured, with real `panggung-server --cluster` processes and real clients:
- per-join CPU per node: each node's CPU time (/proc) over a join storm of
  listeners spread evenly over the nodes, divided by the joins it served;
- Redis commands per room event: INFO commandstats before and after a run of
  moderator commands, divided by the events the room numbered, at two
  audience sizes (it should not grow with the listeners);
- failover: kill -9 of the room's origin, the time until a co-host on a
  surviving node has a command accepted, and until a listener on a surviving
  node hears (the tone of) a speaker on the other surviving node again; the
  killed node is started again between runs (its speaker and listener with
  it), and after each run the roles, hands, bans and invite links are
  checked against what they were.
"""

import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.bench.accounts import provision
from app.bench.cluster_voices import TONES, Voice, heard_again, until_heard
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

PASSWORD = "correct horse battery"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Joins in flight at once: the whole storm at once (thousands of clients in
# this one process) starved the nodes past their leases on this shared machine.
JOIN_WAVE = 250


@dataclass
class ClusterResult:
    listeners: list[int]
    join_cpu_ms: dict[str, float] = field(default_factory=dict)  # node -> ms per join
    commands_per_event: dict[int, float] = field(default_factory=dict)  # listeners -> ratio
    spublish_per_event: dict[int, float] = field(default_factory=dict)
    failovers: list[float] = field(default_factory=list)
    heard_again: list[float] = field(default_factory=list)  # per kill, s
    # Joins of each storm answered `unavailable` (the origin's lease suspended:
    # Redis or the origin starved past the lease) and sent again.
    join_retries: dict[int, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)  # what a run found missing


class Node:
    def __init__(self, name: str, port: int, db: str, redis: str) -> None:
        self.name, self.port, self.db, self.redis = name, port, db, redis
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
            "--node-name", self.name, "--join-rate", "2000", "--log-level", "WARNING",
        ]  # fmt: skip
        # Each node's warnings (suspended leases, takeovers) for after the run.
        log = Path(tempfile.gettempdir()) / f"panggung-bench-cluster-{self.name}.log"
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


def redis_calls(redis_port: int) -> dict[str, int]:
    out = subprocess.run(
        ["redis-cli", "-p", str(redis_port), "INFO", "commandstats"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    calls: dict[str, int] = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line.split(":", 1)
            calls[name.removeprefix("cmdstat_")] = int(rest.split("calls=")[1].split(",")[0])
    return calls


async def client(url: str, name: str, register: bool = True) -> RoomClient:
    made = RoomClient(url, client_name="bench", reconnect=False)
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


async def run(
    db_url: str, redis_port: int, listeners: list[int], kills: int, base_port: int = 19765
) -> ClusterResult:
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    nodes = [Node(f"n{i}", base_port + i, db_url, redis_url) for i in range(3)]
    result = ClusterResult(listeners)
    clients: list[RoomClient] = []
    voices: list[Voice] = []
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

        joined = 0
        for size in listeners:
            fresh = await _resumed(
                [(nodes[n % 3].url, tokens[f"l{n}"]) for n in range(joined, size)]
            )
            clients += fresh
            before = [node.cpu_seconds() for node in nodes]
            retried = 0
            for wave in range(0, len(fresh), JOIN_WAVE):
                joining = fresh[wave : wave + JOIN_WAVE]
                retried += sum(await asyncio.gather(*(_join(c, rid, code) for c in joining)))
            result.join_retries[size] = retried
            await asyncio.sleep(1.5)  # the origin's pulse and mirror writes settle
            after = [node.cpu_seconds() for node in nodes]
            per_node = len(fresh) / 3
            for node, b, a in zip(nodes, before, after, strict=True):
                result.join_cpu_ms[f"{node.name} ({size})"] = (a - b) * 1000 / per_node
            joined = size
            # Redis commands per room event: a run of topic changes.
            calls_before = redis_calls(redis_port)
            seq_before = (await host.conn.call_for(Sync(), RoomState)).room.seq
            for n in range(100):
                await cohosts[1].request(SetTopic(topic=f"t{size}-{n}"))
                await asyncio.sleep(0.05)  # under the server's 30 messages/s per connection
            await asyncio.sleep(1.5)
            seq_after = (await host.conn.call_for(Sync(), RoomState)).room.seq
            calls_after = redis_calls(redis_port)
            events = seq_after - seq_before
            total = sum(calls_after.values()) - sum(calls_before.values())
            result.commands_per_event[size] = total / events
            spub = calls_after.get("spublish", 0) - calls_before.get("spublish", 0)
            result.spublish_per_event[size] = spub / events

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
            if (await speaker.client.join(rid, code)).role_of(me) != Role.SPEAKER:
                await speaker.client.request(RaiseHand())
                await host_of(cohosts, i).request(ApproveHand(user_id=me))
                await speaker.client.wait_until(lambda m: m.role_of(me) == Role.SPEAKER, 15)
            await ear.client.join(rid, code)
            await speaker.start_audio()
            await ear.start_audio()
            speakers[i], ears[i] = speaker, ear

        for i in range(3):
            await voices_on(i)

        for run_no in range(kills):
            # The origin: whichever node says it holds the room.
            holder = await _holder(nodes)
            survivor, other = (holder + 1) % 3, (holder + 2) % 3
            ear, tone = ears[survivor], TONES[other]
            assert ear is not None
            await until_heard(ear, tone)
            nodes[holder].kill()
            killed = time.monotonic()
            took, heard = await asyncio.gather(
                accepted(cohosts[survivor], SetTopic(topic=f"after kill {run_no}")),
                heard_again(ear, tone, killed),
            )
            result.failovers.append(took - killed)
            result.heard_again.append(heard)
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
            for dead in (speakers[holder], ears[holder]):
                if dead is not None:
                    voices.remove(dead)
                    await dead.close()
            await voices_on(holder)
    finally:
        for v in voices:
            await v.close()
        for c in clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.close(), 5)
        for node in nodes:
            node.stop()
    return result


async def _join(who: RoomClient, room_id: str, code: str, patience: float = 60.0) -> int:
    """Join, sending again while the room is `unavailable`; how many times it was."""
    deadline = time.monotonic() + patience
    refused = 0
    while True:
        try:
            await who.join(room_id, code)
            return refused
        except RequestFailed as exc:
            if exc.code != "unavailable" or time.monotonic() > deadline:
                raise
            refused += 1
            await asyncio.sleep(random.uniform(0.5, 1.5))


def host_of(cohosts: list[RoomClient], i: int) -> RoomClient:
    """A moderator connected to a node other than `i` (which may just be back)."""
    return cohosts[(i + 1) % 3]


async def _resumed(where: list[tuple[str, str]], batch: int = 200) -> list[RoomClient]:
    """Clients signed in with their tokens, `batch` at a time."""
    out: list[RoomClient] = []
    for start in range(0, len(where), batch):

        async def one(url: str, token: str) -> RoomClient:
            made = RoomClient(url, client_name="bench", reconnect=False)
            await made.connect()
            await made.resume(token)
            return made

        out += await asyncio.gather(*(one(u, t) for u, t in where[start : start + batch]))
    return out


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
        "Redis and PostgreSQL, real signaling clients (`RoomClient`, accounts written "
        f"into the store first) spread evenly over the nodes, joining in waves of {JOIN_WAVE}, "
        "all in one invite-only room; for the failover runs a speaker sending a tone "
        "and a listener with a real audio link (aiortc on 127.0.0.1) on each node.",
        "",
        "| listeners | Redis commands per room event | SPUBLISH per room event |",
        "|---|---|---|",
    ]
    for size in result.listeners:
        lines.append(
            f"| {size:,} | {result.commands_per_event[size]:.2f} "
            f"| {result.spublish_per_event[size]:.2f} |"
        )
    retries = ", ".join(f"{n:,} at {size:,}" for size, n in result.join_retries.items())
    lines += [
        "",
        f"Joins answered `unavailable` and sent again, per storm: {retries or 'none'}.",
        "",
        "| node (audience after the storm) | CPU per join, ms |",
        "|---|---|",
    ]
    for name, ms in result.join_cpu_ms.items():
        lines.append(f"| {name} | {ms:.2f} |")
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
        lines += [
            "",
            f"Lost across runs: {', '.join(result.lost) or 'nothing'} (after each run: the "
            "co-hosts' roles, the speakers' places, the raised hand, the ban, the "
            "invite-only gate and the invite link).",
        ]
    return "\n".join(lines) + "\n"


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
