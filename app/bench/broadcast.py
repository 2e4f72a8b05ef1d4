"""Broadcast tier benchmark: what a listener costs on each tier, and what an
edge costs the origin.

    .venv/bin/panggung-bench broadcast --db postgresql://... --listeners 40 --hls 50

Three `panggung-server` processes with media on 127.0.0.1 (a cluster on its
own redis-server): the origin (n0) holds one public room with a speaker
sending a tone (a real VoiceLink); n1 and n2 are edges. Light WebRTC
listeners (`CountingListener`: real ICE + DTLS, SRTP-verified packet
counts) join through the edges and get the room's audio from their own
node's relay; HLS clients poll the origin's playlist and fetch each new
segment, as players do. Each phase measures every node's own CPU
(/proc/PID/stat) over the same window, so the figures are the server
processes', although everything shares the machine:

1. the speaker only (no listener anywhere): the baseline;
2. one listener on each edge: the origin's extra CPU / 2 is its cost per edge;
3. `--listeners` per edge: each edge's extra CPU / its added listeners is
   the WebRTC tier's cost per listener; the origin's should not move;
4. `--hls` clients: the origin's extra CPU / clients is the HLS tier's cost
   per client (no cache in front: the cost an uncached origin pays).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field

import aiohttp

from app.bench.accounts import provision
from app.bench.cluster import PASSWORD, Node, client
from app.bench.cluster_voices import Voice
from app.client.session import RoomClient
from app.media.client import light_pool
from app.media.client.light import CountingListener
from app.media.ice import LOOPBACK_ONLY
from app.protocol.replies import MediaAnswer
from app.protocol.requests import ApproveHand, MediaOffer, RaiseHand

TONE = 440.0
SETTLE = 2.0  # s after a phase's listeners connected, before measuring


@dataclass
class Phase:
    name: str
    seconds: float
    cpu: dict[str, float]  # node -> CPU seconds in the window
    packets: int = 0  # RTP packets the phase's WebRTC listeners verified in the window
    listeners: int = 0
    connected: int = 0  # of them, with their DTLS connected at the window's end
    hls_bytes: int = 0


@dataclass
class BroadcastResult:
    per_edge: int
    hls: int
    seconds: float
    phases: list[Phase] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)


class HlsClient:
    """A player: the playlist once a second, each segment it names once."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session, self._url = session, url
        self._seen: set[str] = set()
        self.bytes = 0
        self.errors = 0

    async def run(self) -> None:
        base = self._url.rsplit("/", 1)[0]
        while True:
            try:
                async with self._session.get(self._url) as response:
                    text = await response.text()
                    self.bytes += len(text)
                for line in text.splitlines():
                    name = line.split('URI="', 1)[1].rstrip('"') if 'URI="' in line else line
                    if name and not name.startswith("#") and name not in self._seen:
                        self._seen.add(name)
                        async with self._session.get(f"{base}/{name}") as part:
                            self.bytes += len(await part.read())
            except aiohttp.ClientError:
                self.errors += 1
            await asyncio.sleep(1.0)


async def _listener(
    url: str, token: str, room_id: str, pool: light_pool.ReceivePool | None
) -> tuple[RoomClient, CountingListener]:
    member = RoomClient(url, client_name="bench", reconnect=False)
    await member.connect()
    await member.resume(token)
    await member.join(room_id)
    listener = CountingListener(LOOPBACK_ONLY)

    async def signal(offer: str) -> str:
        return (await member.conn.call_for(MediaOffer(sdp=offer), MediaAnswer)).sdp

    await listener.connect(signal)
    if pool is not None:
        # Read and verified in batches (aiortc's per-packet path would cost
        # this process more than the servers cost, and drop packets).
        await pool.adopt_when_connected(listener)
    return member, listener


async def _window(
    name: str,
    nodes: list[Node],
    seconds: float,
    listeners: list[CountingListener],
    hls: list[HlsClient],
) -> Phase:
    await asyncio.sleep(SETTLE)
    before = {n.name: n.cpu_seconds() for n in nodes}
    packets = sum(lst.packets for lst in listeners)
    hls_bytes = sum(h.bytes for h in hls)
    start = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    return Phase(
        name,
        elapsed,
        {n.name: n.cpu_seconds() - before[n.name] for n in nodes},
        sum(lst.packets for lst in listeners) - packets,
        len(listeners),
        sum(
            1
            for lst in listeners
            if lst.transport is not None and lst.transport.state == "connected"
        ),
        sum(h.bytes for h in hls) - hls_bytes,
    )


async def run(
    db_url: str, redis_port: int, per_edge: int, hls: int, seconds: float, base_port: int = 19865
) -> BroadcastResult:
    result = BroadcastResult(per_edge, hls, seconds)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    nodes = [Node(f"n{i}", base_port + i, db_url, redis_url) for i in range(3)]
    members: list[RoomClient] = []
    listeners: list[CountingListener] = []
    speaker: Voice | None = None
    players: list[asyncio.Task[None]] = []
    pool = light_pool.ReceivePool() if light_pool.available() else None
    if pool is not None:
        pool.start()
    try:
        for node in nodes:
            node.launch()
        for node in nodes:
            await asyncio.to_thread(node.ready)
        names = ["speaker", *(f"l{n}" for n in range(2 * per_edge))]
        tokens = dict(
            zip(names, [t for _, t in await provision(db_url, names, PASSWORD)], strict=True)
        )
        host = await client(nodes[0].url, "host")
        members.append(host)
        rid = (await host.create_room("Broadcast bench")).room_id
        speaker = await Voice.open(nodes[0].url, tokens["speaker"], TONE)
        await speaker.client.join(rid)
        await speaker.client.request(RaiseHand())
        await host.wait_until(lambda m: bool(m.hand_queue()), timeout=30)
        await host.request(ApproveHand(user_id=speaker.client.user_id))
        await speaker.start_audio()
        result.phases.append(await _window("speaker only", nodes, seconds, [], []))

        edges = nodes[1:]
        for i, edge in enumerate(edges):
            member, listener = await _listener(edge.url, tokens[f"l{i}"], rid, pool)
            members.append(member)
            listeners.append(listener)
        result.phases.append(await _window("1 listener per edge", nodes, seconds, listeners, []))

        limit = asyncio.Semaphore(8)

        async def add(n: int) -> None:
            async with limit:
                member, listener = await _listener(edges[n % 2].url, tokens[f"l{n}"], rid, pool)
            members.append(member)
            listeners.append(listener)

        await asyncio.gather(*(add(n) for n in range(2, 2 * per_edge)))
        result.phases.append(
            await _window(f"{per_edge} listeners per edge", nodes, seconds, listeners, [])
        )

        session = aiohttp.ClientSession()
        try:
            url = f"http://127.0.0.1:{nodes[0].port}/hls/{rid}/index.m3u8"
            clients = [HlsClient(session, url) for _ in range(hls)]
            loop = asyncio.get_running_loop()
            players = [loop.create_task(c.run()) for c in clients]
            await asyncio.sleep(6.0)  # the writer starts on the first request; segments come
            phase = await _window(f"+ {hls} HLS clients", nodes, seconds, listeners, clients)
            result.phases.append(phase)
            errors = sum(c.errors for c in clients)
            if errors:
                result.errors.append(f"{errors} HLS requests failed")
        finally:
            for task in players:
                task.cancel()
            await asyncio.gather(*players, return_exceptions=True)
            await session.close()
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        result.load = os.getloadavg()
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.stop(), 10)
        for listener in listeners:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), 5)
        if speaker is not None:
            await speaker.close()
        for member in members:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(member.close(), 5)
        for node in nodes:
            await asyncio.to_thread(node.stop)
    return result


def markdown(result: BroadcastResult) -> str:
    lines = [
        f"{result.per_edge} light WebRTC listeners per edge (2 edges), {result.hls} HLS "
        f"clients on the origin, {result.seconds:g} s windows; CPU is each server "
        "process's own (utime + stime), measured; the per-listener and per-edge "
        "figures are computed from the differences between phases.",
        "",
        "| phase | origin n0 CPU % | edge n1 CPU % | edge n2 CPU % | WebRTC packets verified/s |",
        "|---|---|---|---|---|",
    ]
    for p in result.phases:
        pct = {k: 100 * v / p.seconds for k, v in p.cpu.items()}
        lines.append(
            f"| {p.name} | {pct['n0']:.1f} | {pct['n1']:.1f} | {pct['n2']:.1f} | "
            f"{p.packets / p.seconds:.0f} |"
        )
    if len(result.phases) >= 3:
        base, one, many = result.phases[:3]

        def rate(p: Phase, node: str) -> float:
            return p.cpu[node] / p.seconds

        per_edge = (rate(one, "n0") - rate(base, "n0")) / 2
        added = result.per_edge - 1
        per_listener = [(rate(many, e) - rate(one, e)) / max(1, added) for e in ("n1", "n2")]
        expected = many.listeners * 50
        lines += [
            "",
            f"- Origin cost per edge: {per_edge * 1e3:.2f} ms of CPU per second "
            f"({per_edge * 100:.2f} % of a core), computed from phases 1-2.",
            f"- WebRTC tier, per listener on an edge: "
            f"{per_listener[0] * 1e3:.2f} / {per_listener[1] * 1e3:.2f} ms of CPU per second "
            f"(n1 / n2), computed from phases 2-3; the origin meanwhile: "
            f"{rate(one, 'n0') * 100:.1f} % → {rate(many, 'n0') * 100:.1f} % of a core.",
            f"- Listeners verified {many.packets / many.seconds:.0f} packets/s of the "
            f"{expected} expected ({many.listeners} x 50; {many.connected} connected).",
        ]
    if len(result.phases) >= 4 and result.hls:
        many, hls = result.phases[2], result.phases[3]
        per_client = (hls.cpu["n0"] / hls.seconds - many.cpu["n0"] / many.seconds) / result.hls
        lines.append(
            f"- HLS tier, per client at an uncached origin: {per_client * 1e3:.2f} ms of CPU "
            f"per second, {hls.hls_bytes / hls.seconds / result.hls / 1e3:.1f} kB/s "
            "(playlist once a second, each segment once), computed from phases 3-4."
        )
    lines.append(f"- Load average at the end: {', '.join(f'{x:.1f}' for x in result.load)}.")
    for error in result.errors:
        lines.append(f"- Error: {error}")
    return "\n".join(lines)
