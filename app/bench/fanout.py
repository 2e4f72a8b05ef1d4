"""Fan-out benchmark: server CPU per delivered packet, Panggung beside Janus Streaming.

    .venv/bin/panggung-bench fanout --listeners 200 500 --seconds 10 --procs 2

One room, one speaker stream of 20 ms Opus packets, N listeners in ``--procs``
worker processes. The listeners are the same client for both servers
(``CountingListener``: real ICE + DTLS through aiortc, then a ``ReceivePool``
reads their sockets in batches and SRTP-decrypts, verifies and counts every
packet); only the signalling differs (Panggung: the listener offers; Janus: it
answers). Panggung's server is this process (the real path: tone encoded once
per tick, aiortc ICE/DTLS per peer on one shared UDP port, batched SRTP +
sendmmsg fan-out); Janus runs as its own process on 127.0.0.1 with our
generated config, fed by a local RTP sender. CPU is the server process's own,
so the figures hold although the listeners share the machine's cores:
listeners per core = 1e6 / (50 * µs per packet). Delivered packets = packets
the server sent in the window x (1 - the listeners' loss), for both servers,
so a server that cannot keep up is not credited with packets it dropped.
After Panggung's window the same process measures the floor of a bare
batched send to as many sockets (app.bench.floor).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.bench import floor
from app.bench.janus_server import OPUS_PT, JanusServer, RtpSender
from app.bench.janus_signal import JanusSession
from app.dsp.signals import ToneSource
from app.media import aiortc_hooks as hooks
from app.media.client import light_pool
from app.media.client.light import CountingListener
from app.media.ice import LOOPBACK_ONLY
from app.media.opus import OpusEncoder
from app.media.server.fanout import FanoutStream
from app.media.server.fast_sender import SRTP_PROFILES
from app.media.server.peer import ServerPeer
from app.media.server.rtp_clock import RtpClock
from app.media.server.ticker import Ticker
from app.media.server.udp_mux import UdpMux
from app.server.collector import CollectorPolicy

CONNECT_CONCURRENCY = 8
LISTENER_NICENESS = 10  # added to the benchmark's own (see _worker_main)
READY_SECONDS_PER_LISTENER = 1.0  # bound on connecting every listener
PACKETS_PER_SECOND = 50
SYSTEMS = ("panggung", "janus")
SRTP_CHOICES = {"gcm": SRTP_PROFILES, "cm": ("SRTP_AES128_CM_SHA1_80",)}
SOURCES = ("relay", "encode")


@dataclass
class FanoutResult:
    system: str
    listeners: int
    live: int  # listeners that received at least one packet before the window
    seconds: float
    # Packets delivered in the CPU window: sent x (1 - loss), and never more than
    # the listeners received (a server whose listeners dropped off does not get
    # the packets it stopped delivering counted).
    deliveries: int
    sent: int  # packets the server sent to listeners in the CPU window
    received: int  # packets the listeners decrypted in their window
    expected: int  # packets numbered for them (from RTP sequence ranges)
    rejected: int  # datagrams that failed SRTP authentication at the listeners
    late: int  # arrived > LATE_AFTER_MS after the fastest packet's transit
    min_listener_packets: int
    loss_percent: float
    server_cpu_seconds: float
    cpu_us_per_packet: float
    listeners_per_core: float
    load_average: float
    source: str = ""  # relay: pre-encoded packets forwarded; encode: encoded per tick here
    srtp_profile: str = ""  # what the listeners negotiated (the most common, and how many)
    batched: bool = False  # Panggung: sendmmsg used
    floor_send_us: float = math.nan  # bare sendmmsg per packet, same receivers, same process
    floor_protect_send_us: float = math.nan  # the batch: SRTP in place + sendmmsg
    fanout_loop_us: float = math.nan  # Panggung: CPU inside the fan-out call per packet sent
    notes: dict[str, Any] = field(default_factory=dict)  # counters for diagnosis

    # Name in the first version of this benchmark (tests/media uses it).
    @property
    def cpu_us_per_delivery(self) -> float:
        return self.cpu_us_per_packet


class _Panggung:
    """Panggung's fan-out in this process: encode once per tick, batched SRTP + sendmmsg."""

    janus_url: str | None = None

    def __init__(
        self, srtp_profiles: tuple[str, ...] = SRTP_PROFILES, source: str = "relay"
    ) -> None:
        self.clock = RtpClock()
        self._encoder, self._tone = OpusEncoder(), ToneSource(440.0)
        self._source = source
        if source == "relay":
            # Like Janus's mountpoint: already-encoded Opus arrives (an origin's mix
            # at an edge node) and is forwarded. One second of the tone, looped.
            self._encoded = [self._encoder.encode(self._tone.next_frame()) for _ in range(50)]
            self.stream = FanoutStream(None, "audience")
        else:  # "encode": this process encodes the tone once per tick, as the room mixer
            self._encoded = []
            self.stream = FanoutStream(self.clock, "audience")
        self.ticker = Ticker(self._tick)
        self._srtp_profiles = srtp_profiles
        self._mux: UdpMux | None = None
        self._peers: list[ServerPeer] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.packet_bytes = 0
        self.loop_cpu = 0.0  # CPU seconds inside the fan-out call (send/forward)
        # The server's collector policy, as `panggung-server` runs it: thousands of
        # peers' objects otherwise make each full collection a stall of the ticks.
        self._collector: asyncio.Task[None] | None = None

    def _tick(self) -> None:
        self.clock.advance()
        if self._encoded:
            payload = self._encoded[self.clock.ticks % len(self._encoded)]
            start = time.thread_time()
            self.stream.forward(self.clock.header(OPUS_PT) + payload)
        else:
            payload = self._encoder.encode(self._tone.next_frame())
            start = time.thread_time()
            self.stream.send(payload)
        self.loop_cpu += time.thread_time() - start
        self.packet_bytes = 12 + len(payload)

    async def __aenter__(self) -> _Panggung:
        self._mux = UdpMux.open(LOOPBACK_ONLY.host_addresses)
        self._collector = asyncio.get_running_loop().create_task(CollectorPolicy().run())
        self.ticker.start()
        return self

    async def stop_media(self) -> None:
        await self.ticker.stop()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_media()
        if self._collector is not None:
            self._collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._collector
            gc.unfreeze()  # the next size starts from a collector like a new process's
        for peer in self._peers:
            await peer.close()
        if self._mux is not None:
            await self._mux.close()

    def cpu_seconds(self) -> float:
        return time.process_time()

    def notes(self) -> dict[str, Any]:
        mux = self._mux
        return {
            "sinks_at_end": len(self.stream),
            "send_errors": self.stream.send_errors,
            "consent": asdict(mux.consent.stats) if mux else {},
            "mux": asdict(mux.stats) if mux else {},
            "ticks_skipped": self.ticker.skipped,
            "max_tick_lateness_ms": round(self.ticker.max_lateness * 1e3, 1),
        }

    def deliveries(self, live: int) -> int:
        return self.stream.deliveries

    async def answer(self, offer: str) -> str:
        peer = ServerPeer(
            LOOPBACK_ONLY, self.clock.ssrc, mux=self._mux, srtp_profiles=self._srtp_profiles
        )
        self._peers.append(peer)
        sdp = await peer.accept(offer)
        task = asyncio.create_task(self._attach(peer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return sdp

    async def _attach(self, peer: ServerPeer) -> None:
        async with asyncio.timeout(60):
            sink = await peer.connected()
        sink.on_closed = self.stream.remove
        self.stream.add(sink)


class _Janus:
    """Janus Streaming as a separate process, fed by a local RTP sender at 50 pkt/s."""

    def __init__(self) -> None:
        self.server = JanusServer()
        self.janus_url: str | None = None
        self._sender: RtpSender | None = None

    async def __aenter__(self) -> _Janus:
        await self.server.__aenter__()
        self.janus_url = self.server.url
        self._sender = RtpSender(self.server.rtp_port)
        self._sender.start()
        return self

    async def stop_media(self) -> None:
        if self._sender is not None:
            await self._sender.stop()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_media()
        await self.server.stop()

    def cpu_seconds(self) -> float:
        return self.server.cpu_seconds()

    def notes(self) -> dict[str, Any]:
        return {}

    def deliveries(self, live: int) -> int:
        # Streaming relays every packet of the mountpoint to every started listener.
        return 0 if self._sender is None else self._sender.packets * live

    async def answer(self, offer: str) -> str:
        raise RuntimeError("Janus listeners signal with Janus directly")


class _WorkerLink:
    """The orchestrator's end of one worker's line-delimited JSON channel."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.live = -1
        self.counts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def send(self, message: dict[str, Any]) -> None:
        self.writer.write(json.dumps(message).encode() + b"\n")

    async def count(self) -> dict[str, Any]:
        self.send({"op": "count"})
        return await self.counts.get()


async def run(
    system: str,
    listeners: int,
    procs: int,
    seconds: float,
    warmup: float,
    srtp: str = "gcm",
    source: str = "relay",
) -> FanoutResult:
    target: _Panggung | _Janus = (
        _Panggung(SRTP_CHOICES[srtp], source) if system == "panggung" else _Janus()
    )
    links: list[_WorkerLink] = []
    tasks: set[asyncio.Task[None]] = set()
    all_ready = asyncio.Event()

    async def answer(link: _WorkerLink, msg: dict[str, Any]) -> None:
        link.send({"op": "answer", "id": msg["id"], "sdp": await target.answer(msg["sdp"])})

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _WorkerLink(writer)
        links.append(link)
        while line := await reader.readline():
            msg = json.loads(line)
            if msg["op"] == "offer":
                task = asyncio.create_task(answer(link, msg))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif msg["op"] == "ready":
                link.live = int(msg["live"])
                if len(links) == procs and all(lk.live >= 0 for lk in links):
                    all_ready.set()
            elif msg["op"] == "count":
                link.counts.put_nowait(msg)

    async with target:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        ctx = multiprocessing.get_context("spawn")
        shares = [listeners // procs + (i < listeners % procs) for i in range(procs)]
        args = [(port, n, target.janus_url) for n in shares if n]
        procs = len(args)
        workers = [ctx.Process(target=_worker_main, args=a, daemon=True) for a in args]
        for w in workers:
            w.start()
        try:
            # Handshakes are CPU-bound: ~0.6 s a listener measured on a loaded 2-core machine.
            async with asyncio.timeout(90 + listeners * READY_SECONDS_PER_LISTENER):
                await all_ready.wait()
            await asyncio.sleep(warmup)
            for link in links:
                link.send({"op": "reset"})
            # The denominator is counted at the sender, over the same wall-clock window as
            # the CPU: listener processes that lag behind would stretch their own window.
            live = sum(lk.live for lk in links)
            cpu0, sent0 = target.cpu_seconds(), target.deliveries(live)
            loop0 = target.loop_cpu if isinstance(target, _Panggung) else 0.0
            await asyncio.sleep(seconds)
            cpu = target.cpu_seconds() - cpu0
            sent = target.deliveries(live) - sent0
            loop_cpu = target.loop_cpu - loop0 if isinstance(target, _Panggung) else math.nan
            counts = [await link.count() for link in links]
            bare = None
            if isinstance(target, _Panggung) and light_pool.available():
                # Same process, same number of receivers, the listeners still connected.
                bare = await floor.measure(live, target.packet_bytes or 120)
        finally:
            # Media stops first: sending to listeners that are closing only logs errors.
            await target.stop_media()
            for link in links:
                with contextlib.suppress(Exception):
                    link.send({"op": "quit"})
            for w in workers:
                await asyncio.to_thread(w.join, 30)
                if w.is_alive():
                    w.kill()
            server.close()

    received = sum(int(c["packets"]) for c in counts)
    expected = sum(int(c["expected"]) for c in counts)
    per_listener = [p for c in counts for p in c["per_listener"]]
    loss = 1 - received / expected if expected else 1.0
    # The listeners' windows start a moment after the sender's (the reset goes
    # over a pipe), so `received` may exceed `sent` by a little; never by a lot.
    deliveries = min(round(sent * (1 - max(0.0, loss))), received)
    us = cpu / deliveries * 1e6 if deliveries else float("nan")
    profiles: Counter[str] = Counter()
    for c in counts:
        profiles.update(c["profiles"])
    profile, agreed = profiles.most_common(1)[0] if profiles else ("?", 0)
    return FanoutResult(
        system=system,
        listeners=listeners,
        live=live,
        seconds=seconds,
        deliveries=deliveries,
        sent=sent,
        received=received,
        expected=expected,
        rejected=sum(int(c["rejected"]) for c in counts),
        late=sum(int(c["late"]) for c in counts),
        min_listener_packets=min(per_listener, default=0),
        loss_percent=100.0 * (1 - received / expected) if expected else 100.0,
        server_cpu_seconds=cpu,
        cpu_us_per_packet=us,
        listeners_per_core=1e6 / (PACKETS_PER_SECOND * us) if deliveries else 0.0,
        load_average=os.getloadavg()[0],
        source=source if system == "panggung" else "relay",
        srtp_profile=f"{profile.removeprefix('SRTP_')} ({agreed}/{live})",
        batched=isinstance(target, _Panggung) and target.stream.batched,
        floor_send_us=bare.send_us if bare else math.nan,
        floor_protect_send_us=bare.protect_send_us if bare else math.nan,
        fanout_loop_us=loop_cpu / sent * 1e6 if sent else math.nan,
        notes={
            "listeners_connected_at_end": sum(int(c["connected"]) for c in counts),
            "pool": [c["pool"] for c in counts],
            **target.notes(),
        },
    )


def _worker_main(port: int, count: int, janus_url: str | None) -> None:
    # The listeners yield the CPU to the server under test (Panggung here, or
    # Janus, both at the benchmark's own priority): on 2 cores, thousands of
    # listeners decrypting every packet otherwise preempt the server, and
    # their own lateness would be counted as the server's.
    os.nice(LISTENER_NICENESS)
    asyncio.run(_worker(port, count, janus_url))


async def _worker(port: int, count: int, janus_url: str | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers: dict[int, asyncio.Future[str]] = {}
    quit_ = asyncio.Event()
    listeners = [CountingListener(LOOPBACK_ONLY) for _ in range(count)]
    janus = JanusSession(janus_url) if janus_url else None
    # Read and verify in batches once connected (aiortc's receive path per packet
    # would cost the listeners more than the server costs).
    pool = light_pool.ReceivePool() if light_pool.available() else None

    def send(message: dict[str, Any]) -> None:
        writer.write(json.dumps(message).encode() + b"\n")

    async def read() -> None:
        while line := await reader.readline():
            msg = json.loads(line)
            if msg["op"] == "answer":
                answers[msg["id"]].set_result(msg["sdp"])
            elif msg["op"] == "reset":
                for lst in listeners:
                    lst.reset()
            elif msg["op"] == "count":
                per_listener = [lst.packets for lst in listeners]
                send(
                    {
                        "op": "count",
                        "packets": sum(per_listener),
                        "expected": sum(lst.expected for lst in listeners),
                        "late": sum(lst.late for lst in listeners),
                        "rejected": sum(lst.rejected for lst in listeners),
                        "per_listener": per_listener,
                        "connected": sum(
                            1
                            for lst in listeners
                            if lst.transport is not None and lst.transport.state == "connected"
                        ),
                        "pool": asdict(pool.stats) if pool is not None else {},
                        "profiles": Counter(
                            hooks.negotiated_srtp_profile(lst.transport) or "?"
                            for lst in listeners
                            if lst.transport is not None
                        ),
                    }
                )
            elif msg["op"] == "quit":
                break
        quit_.set()

    async def via_orchestrator(i: int, listener: CountingListener) -> None:
        async def signal(offer: str) -> str:
            answers[i] = asyncio.get_running_loop().create_future()
            send({"op": "offer", "id": i, "sdp": offer})
            return await answers[i]

        await listener.connect(signal)

    async def via_janus(session: JanusSession, listener: CountingListener) -> None:
        handle, offer = await session.watch()
        await session.start(handle, await listener.accept(offer))

    reading = asyncio.create_task(read())
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    if pool is not None:
        pool.start()

    async def connect(i: int, listener: CountingListener) -> None:
        async with limit:
            if janus is None:
                await via_orchestrator(i, listener)
            else:
                await via_janus(janus, listener)
        if pool is not None:
            await pool.adopt_when_connected(listener)

    try:
        if janus is not None:
            await janus.open()
        await asyncio.gather(*(connect(i, lst) for i, lst in enumerate(listeners)))
        # Ready once media flows to every listener (or after a bound, reporting how many).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                # Polling plain counters: the listeners have no event to wait on.
                while not all(lst.packets for lst in listeners):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        send({"op": "ready", "live": sum(1 for lst in listeners if lst.packets)})
        await quit_.wait()
    finally:
        reading.cancel()
        if pool is not None:
            await pool.stop()
        for listener in listeners:
            await listener.close()
        if janus is not None:
            await janus.close()
        writer.close()


async def compare(
    listeners: list[int],
    procs: int,
    seconds: float,
    warmup: float,
    systems: tuple[str, ...] = SYSTEMS,
    progress: Callable[[FanoutResult], None] | None = None,
    srtp: str = "gcm",
    source: str = "relay",
) -> list[FanoutResult]:
    """Each listener count on each system, one after the other (same machine, same run)."""
    results = []
    for n in listeners:
        for system in systems:
            result = await run(system, n, procs, seconds, warmup, srtp, source)
            results.append(result)
            if progress is not None:
                progress(result)
    return results
