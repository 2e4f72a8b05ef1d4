"""Broadcast tier benchmark: what a listener costs on each tier, what an edge
costs the origin, how far HLS is behind live, how long a broadcast listener
takes to go live for the stage, and a mixed load of thousands across tiers.

    scripts/bench_broadcast.py --write docs/benchmarks.md --listeners 150 \
        --cached 300 --signaling 10000 --mass-hls 4000 --seconds 20

(`--write` takes a path: given bare before the options, it would take the
subcommand's name as one.)

Three `panggung-server` processes with media on 127.0.0.1 (a cluster on its
own redis-server): the origin (n0, `--webrtc-capacity 0`: its own listeners
get the broadcast) holds one public room with a speaker sending a tone (a
real VoiceLink); n1 and n2 are edges. Light WebRTC listeners
(`CountingListener`: real ICE + DTLS, SRTP-verified packet counts) join
through the edges and get the room's audio from their own node's relay. A
real nginx (nginx_front) caches the origin's /hls/. Each phase measures every
process's own CPU (/proc) over the same window, so the figures are the
processes', although everything shares the machine:

1. the speaker only (no listener anywhere): the baseline;
2. one listener on each edge: the origin's extra CPU / 2 is its cost per edge;
3. `--listeners` per edge: each edge's extra CPU / its added listeners is
   the WebRTC tier's cost per listener; the origin's should not move;
4. `--hls` clients straight at the origin: the uncached origin's cost per client;
5. those stopped, `--cached` HLS players (hls_load processes) through nginx:
   nginx's CPU per client, and the origin's fetches per segment (nginx's log);
6. HLS delay behind live (the app's player through nginx) beside a live ear
   on an edge, on pitch markers in the speaker's tone (broadcast_ears);
7. the stage switch, `--switches` times: a desktop session on the broadcast,
   invited, until it hears the live room;
8. the mixed load: `--signaling` more listeners (`panggung-bot load`
   processes, signaling only) joined across the three nodes, beside the
   WebRTC listeners and the HLS players, and `--mass-hls` more HLS clients
   (wrk_load), one window of everything at once.

The capacity model (broadcast_model) is computed from these figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from app.bench.accounts import provision
from app.bench.broadcast_ears import Delays, Switch, hls_delay, stage_switch
from app.bench.cluster import PASSWORD, Audience, Node, client
from app.bench.cluster_voices import TimedLink, Voice
from app.bench.hls_load import Counters, HlsLoad
from app.bench.nginx_front import NginxFront
from app.bench.wrk_load import WrkCounts, WrkLoad
from app.client.session import RoomClient
from app.dsp.signals import ToneSource
from app.media.client import light_pool
from app.media.client.light import CountingListener
from app.media.ice import LOOPBACK_ONLY
from app.protocol.replies import MediaAnswer, RoomState
from app.protocol.requests import ApproveHand, MediaOffer, RaiseHand, Sync

TONE = 440.0
SETTLE = 2.0  # s after a phase's listeners connected, before measuring
WIRE_OVERHEAD = 10 + 8 + 20  # per RTP packet on the wire: SRTP tag, UDP, IPv4 headers


@dataclass
class Phase:
    name: str
    seconds: float
    cpu: dict[str, float]  # process (node, "nginx", "hls players") -> CPU seconds in the window
    packets: int = 0  # RTP packets the phase's WebRTC listeners verified in the window
    octets: int = 0  # their decrypted RTP bytes
    listeners: int = 0
    connected: int = 0  # of them, with their DTLS connected at the window's end
    hls_clients: int = 0
    hls_bytes: int = 0
    hls: Counters | None = None  # the HLS players' counters over the window (cached phases)
    signaling: int = 0  # signaling-only listeners joined (the mixed load)
    wrk: WrkCounts | None = None  # the mass HLS clients' counts over wrk's whole run
    origin_fetches: list[int] = field(default_factory=list)  # per segment, through nginx
    playlist_fetches: int = 0  # the origin's playlist fetches through nginx in the window
    requests: int = 0  # requests nginx answered in the window


@dataclass
class BroadcastResult:
    per_edge: int
    hls: int
    seconds: float
    cached: int = 0
    signaling: int = 0
    mass_hls: int = 0
    phases: list[Phase] = field(default_factory=list)
    delays: Delays | None = None
    switches: list[Switch] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def phase(self, prefix: str) -> Phase | None:
        return next((p for p in self.phases if p.name.startswith(prefix)), None)


class HlsClient:
    """A player in this process: the playlist once a second, each segment it names once."""

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


class Meters:
    """Every measured process's CPU seconds, by name."""

    def __init__(self) -> None:
        self.sources: dict[str, Callable[[], float]] = {}

    def read(self) -> dict[str, float]:
        return {name: read() for name, read in self.sources.items()}


async def _window(
    name: str,
    meters: Meters,
    seconds: float,
    listeners: list[CountingListener],
    hls: list[HlsClient] | None = None,
    players: HlsLoad | None = None,
    nginx: NginxFront | None = None,
    signaling: int = 0,
) -> Phase:
    await asyncio.sleep(SETTLE)
    if nginx is not None:
        nginx.mark()
    before = meters.read()
    packets = sum(lst.packets for lst in listeners)
    octets = sum(lst.octets for lst in listeners)
    hls_bytes = sum(h.bytes for h in hls or [])
    counted = await players.stats() if players is not None else None
    start = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    after = meters.read()
    phase = Phase(
        name,
        elapsed,
        {k: after[k] - before[k] for k in after},
        sum(lst.packets for lst in listeners) - packets,
        sum(lst.octets for lst in listeners) - octets,
        len(listeners),
        sum(
            1
            for lst in listeners
            if lst.transport is not None and lst.transport.state == "connected"
        ),
        len(hls or []),
        sum(h.bytes for h in hls or []) - hls_bytes,
        signaling=signaling,
    )
    if players is not None and counted is not None:
        now = await players.stats()
        phase.hls = Counters(
            **{k: getattr(now, k) - getattr(counted, k) for k in vars(now) if k != "clients"},
            clients=now.clients,
        )
        phase.hls_clients = now.clients
        phase.hls_bytes = phase.hls.bytes
    if nginx is not None:
        await asyncio.sleep(0.2)  # the last answers' log lines
        fetches = nginx.fetches()
        phase.origin_fetches = fetches.per_segment()
        phase.playlist_fetches = fetches.playlist_fetches
        phase.requests = fetches.requests
    return phase


@dataclass
class Options:
    per_edge: int = 40  # light WebRTC listeners per edge
    hls: int = 50  # HLS clients straight at the origin (uncached)
    cached: int = 1000  # HLS players through nginx
    signaling: int = 0  # signaling-only listeners in the mixed load
    mass_hls: int = 0  # wrk's HLS connections through nginx in the mixed load
    seconds: float = 10.0
    markers: int = 6
    switches: int = 3
    base_port: int = 19865


async def run(db_url: str, redis_port: int, options: Options) -> BroadcastResult:
    o = options
    result = BroadcastResult(o.per_edge, o.hls, o.seconds, o.cached, o.signaling, o.mass_hls)
    result.load_before = os.getloadavg()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    workdir = Path(tempfile.mkdtemp(prefix="panggung-bench-broadcast-"))
    origin_flags = ("--webrtc-capacity", "0", "--hls-dir", str(workdir / "hls0"))
    nodes = [Node("n0", o.base_port, db_url, redis_url, origin_flags)]
    nodes += [
        Node(f"n{i}", o.base_port + i, db_url, redis_url, ("--hls-dir", str(workdir / f"hls{i}")))
        for i in (1, 2)
    ]
    meters = Meters()
    for node in nodes:
        meters.sources[node.name] = node.cpu_seconds
    members: list[RoomClient] = []
    listeners: list[CountingListener] = []
    speaker: Voice | None = None
    ear: Voice | None = None
    players: list[asyncio.Task[None]] = []
    nginx: NginxFront | None = None
    load = HlsLoad()
    wrk = WrkLoad()
    audience: Audience | None = None
    pool = light_pool.ReceivePool() if light_pool.available() else None
    if pool is not None:
        pool.start()
    try:
        for node in nodes:
            node.launch()
        for node in nodes:
            await asyncio.to_thread(node.ready)
        names = ["speaker", "ear", *(f"l{n}" for n in range(2 * o.per_edge))]
        names += [f"s{n}" for n in range(o.signaling)]
        tokens = dict(
            zip(names, [t for _, t in await provision(db_url, names, PASSWORD)], strict=True)
        )
        # The host and the speaker come back if their connection drops: this
        # process's loop also carries hundreds of listeners and the ears, and a
        # host gone past the grace period ends the room (run A's mixed load
        # found it ended: 0 joined).
        host = await client(nodes[0].url, "host", reconnect=True)
        members.append(host)
        rid = (await host.create_room("Broadcast bench")).room_id
        tone = ToneSource(TONE)
        speaker = await _voice(nodes[0].url, tokens["speaker"], tone)
        await speaker.client.join(rid)
        await speaker.client.request(RaiseHand())
        await host.wait_until(lambda m: bool(m.hand_queue()), timeout=30)
        await host.request(ApproveHand(user_id=speaker.client.user_id))
        await speaker.start_audio()
        result.phases.append(await _window("speaker only", meters, o.seconds, []))

        edges = nodes[1:]
        for i, edge in enumerate(edges):
            member, listener = await _listener(edge.url, tokens[f"l{i}"], rid, pool)
            members.append(member)
            listeners.append(listener)
        result.phases.append(await _window("1 listener per edge", meters, o.seconds, listeners))

        limit = asyncio.Semaphore(4)
        failed: list[str] = []

        async def add(n: int) -> None:
            # A busy edge may be slow to accept: a listener tries again, and
            # one that never gets in is counted, not the end of the run.
            for attempt in range(3):
                try:
                    async with limit:
                        member, listener = await _listener(
                            edges[n % 2].url, tokens[f"l{n}"], rid, pool
                        )
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    if attempt == 2:
                        failed.append(f"{type(exc).__name__}: {exc}")
                    continue
                members.append(member)
                listeners.append(listener)
                return

        await asyncio.gather(*(add(n) for n in range(2, 2 * o.per_edge)))
        if failed:
            result.errors.append(
                f"{len(failed)} WebRTC listeners did not connect in 3 tries (the first: "
                f"{failed[0]})"
            )
        result.phases.append(
            await _window(f"{o.per_edge} listeners per edge", meters, o.seconds, listeners)
        )

        if o.hls:
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{nodes[0].port}/hls/{rid}/index.m3u8"
                clients = [HlsClient(session, url) for _ in range(o.hls)]
                loop = asyncio.get_running_loop()
                players = [loop.create_task(c.run()) for c in clients]
                try:
                    await asyncio.sleep(6.0)  # the writer starts on the first request
                    name = f"+ {o.hls} HLS clients at the origin"
                    phase = await _window(name, meters, o.seconds, listeners, clients)
                    result.phases.append(phase)
                    if errors := sum(c.errors for c in clients):
                        result.errors.append(f"{errors} uncached HLS requests failed")
                finally:
                    for task in players:
                        task.cancel()
                    await asyncio.gather(*players, return_exceptions=True)

        nginx = NginxFront(f"127.0.0.1:{nodes[0].port}")
        nginx.start()
        meters.sources["nginx"] = nginx.cpu_seconds
        playlist = f"{nginx.url}/hls/{rid}/index.m3u8"
        if o.cached:
            ready = await load.start(playlist, o.cached)
            if ready < o.cached:
                result.errors.append(f"{o.cached - ready} HLS players did not start")
            meters.sources["hls players"] = load.cpu_seconds
            result.phases.append(
                await _window(
                    f"{o.cached} HLS players through nginx (the origin's direct ones gone)",
                    meters,
                    o.seconds,
                    listeners,
                    players=load,
                    nginx=nginx,
                )
            )

        ear = await Voice.open(edges[0].url, tokens["ear"])
        await ear.client.join(rid)
        await ear.start_audio()

        def pitch(freq: float) -> None:
            tone.freq = freq

        ear_link = ear.link
        direct = f"http://127.0.0.1:{nodes[0].port}/hls/{rid}/index.m3u8"
        result.delays = await hls_delay(pitch, playlist, direct, ear_link.next_frame, o.markers)
        pitch(TONE)

        for n in range(o.switches):
            try:
                switch = await stage_switch(nodes[0].url, host, rid, f"switch{n}", PASSWORD, pitch)
                result.switches.append(switch)
            except Exception as exc:
                result.errors.append(f"stage switch {n + 1}: {type(exc).__name__}: {exc}")
        pitch(TONE)

        if o.signaling:
            # Said plainly if the room is not live any more (a refusal here).
            await host.conn.call_for(Sync(), RoomState)
            audience = Audience(rid, None, workdir)  # a public room: no invite
            started = []
            for i, node in enumerate(nodes):
                mine = [tokens[f"s{n}"] for n in range(o.signaling) if n % 3 == i]
                started += await audience.add(i, node.url, mine)
            signed_in = sum([(await proc.read())["ready"] for proc in started])
            answers = await asyncio.gather(*(proc.ask("join") for proc in started))
            joined = sum(a["joined"] for a in answers)
            if signed_in < o.signaling or joined < o.signaling:
                result.errors.append(
                    f"mixed load: {signed_in:,} of {o.signaling:,} signed in, {joined:,} joined"
                )
            meters.sources["signaling load"] = lambda: sum(p.cpu() for p in started)
            if o.mass_hls:
                # Its run covers the window: the connections open during SETTLE.
                await wrk.start(playlist, o.mass_hls, SETTLE + o.seconds + 4)
                meters.sources["wrk"] = wrk.cpu_seconds
            mixed = await _window(
                "mixed load",
                meters,
                o.seconds,
                listeners,
                players=load if o.cached else None,
                nginx=nginx,
                signaling=joined,
            )
            if o.mass_hls:
                mixed.wrk = await wrk.finish()
            result.phases.append(mixed)
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        result.load = os.getloadavg()
        await load.quit()
        await wrk.stop()
        if audience is not None:
            await audience.quit()
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.stop(), 10)
        for listener in listeners:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), 5)
        for voice in (speaker, ear):
            if voice is not None:
                await voice.close()
        for member in members:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(member.close(), 5)
        if nginx is not None:
            nginx.stop()
        for node in nodes:
            await asyncio.to_thread(node.stop)
    return result


async def _voice(url: str, token: str, tone: ToneSource) -> Voice:
    """A speaker whose pitch the benchmark changes (the markers)."""
    member = RoomClient(url, client_name="bench", reconnect=True)
    await member.connect()
    await member.resume(token)
    return Voice(member, TimedLink(member, tone.next_frame), tone.freq)
