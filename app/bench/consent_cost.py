"""What one datagram from a listener costs the shared media socket, before and after
its own consent answers: a consent check, an answer to ours, an RTCP receiver report.

    .venv/bin/python -m app.bench.consent_cost [--rounds 10] [--block 400] [--census 11]

One real aiortc listener (``CountingListener``, recvonly, as in the fan-out
benchmark) connects to a ``ServerPeer`` on a ``UdpMux``. Then datagrams as
it would send them - its consent check as aioice's consent loop signs it,
its answer to a check of the server's wheel, SRTCP-protected receiver
reports (each a new SRTCP index, as replay protection wants) - are handed to
the endpoint's read handler through a stand-in socket, one per event-loop
turn (so aiortc's receive task wakes for each, as it does live), in blocks
that alternate between the old path (aioice/aiortc: the connection is not
taken over) and the new one (answered, verified or dropped on the socket).
CPU time is this process's; the empty turn's cost is measured too and
subtracted. The kernel's part (receiving the datagram, sending the answer)
is not included: it is the same for both. ``--census`` first counts, by
kind, what the listener really sends for that long.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from app.media import aiortc_hooks as hooks
from app.media.client.light import CountingListener
from app.media.ice import LOOPBACK_ONLY
from app.media.server.consent import CheckedPeer, ConsentStats
from app.media.server.consent_answer import ConsentAnswerer
from app.media.server.peer import ServerPeer
from app.media.server.udp_mux import MuxEndpoint, UdpMux

Address = tuple[str, int]


# An RTCP receiver report, one report block, as aiortc's receiver sends it.
_RECEIVER_REPORT = struct.Struct("!BBHIIIIIII")


class _StandInSocket:
    """recvfrom() hands out queued datagrams; sendto() counts."""

    def __init__(self, source: Address) -> None:
        self.source = source
        self.inbox: deque[bytes] = deque()
        self.sent = 0

    def recvfrom(self, size: int) -> tuple[bytes, Address]:
        if not self.inbox:
            raise BlockingIOError
        return self.inbox.popleft(), self.source

    def sendto(self, data: bytes, addr: Address) -> int:
        self.sent += 1
        return len(data)


class _Census:
    """The real socket, counting what arrives by kind (RFC 7983's first byte)."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.kinds: Counter[str] = Counter()

    def recvfrom(self, size: int) -> tuple[bytes, Address]:
        data, addr = self.sock.recvfrom(size)
        first = data[0] if data else -1
        if 0 <= first < 4:
            kind = {b"\x00\x01": "STUN request", b"\x01\x01": "STUN success"}.get(
                data[:2], "STUN other"
            )
        elif 127 < first < 192:
            kind = "RTCP" if 192 <= data[1] <= 223 else "RTP"
        elif 19 < first < 64:
            kind = "DTLS"
        else:
            kind = "other"
        self.kinds[kind] += 1
        return data, addr

    def sendto(self, data: bytes, addr: Address) -> int:
        return int(self.sock.sendto(data, addr))


async def _per_datagram(
    endpoint: MuxEndpoint, sock: _StandInSocket, datagrams: Callable[[], bytes | None], n: int
) -> float:
    """µs of CPU per turn: one datagram (or none) read, then the loop runs twice."""
    start = time.process_time()
    for _ in range(n):
        data = datagrams()
        if data is not None:
            sock.inbox.append(data)
        endpoint._on_readable()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    return (time.process_time() - start) / n * 1e6


async def measure(rounds: int, block: int, census: float = 0.0) -> dict[str, tuple[float, float]]:
    mux = UdpMux.open(("127.0.0.1",))
    server = ServerPeer(LOOPBACK_ONLY, 0x1234ABCD, mux=mux)
    listener = CountingListener(LOOPBACK_ONLY)
    try:
        await listener.connect(server.accept)
        async with asyncio.timeout(15):
            sink = await server.connected()
        (endpoint,) = mux.endpoints
        if census > 0:
            counting = _Census(endpoint.sock)
            endpoint.sock = counting  # type: ignore[assignment]
            await asyncio.sleep(census)
            endpoint.sock = counting.sock
            print(f"what the listener sent in {census:g} s: {dict(counting.kinds)}")
        answerer = endpoint.answering(sink.addr)
        if answerer is None or not answerer.drop_rtcp:
            raise RuntimeError("the listener was not taken over as send-only")
        client_ice = hooks.ice_connection(listener.transport)
        check = hooks.consent_request(client_ice)
        if check is None:
            raise RuntimeError("the listener has no nominated pair")
        srtp = hooks.outbound_srtp(listener.transport)
        report = _RECEIVER_REPORT.pack(0x81, 201, 7, 0x5EED, 0x1234ABCD, 0, 1000, 3, 0, 0)
        # Each report a new SRTCP index (a repeated one would fail replay checks).
        reports = deque(srtp.protect_rtcp(report) for _ in range(rounds * block * 2 + 10))
        server_ice = sink.ice_connection
        waiter = CheckedPeer(server_ice, 0, ConsentStats())  # as the wheel's, off the wheel

        # The listener's answers, byte for byte as its aioice signs them
        # (tests/media/test_consent_answer.py).
        listener_side = ConsentAnswerer(client_ice, None, endpoint.local_address)

        def check_and_answer() -> tuple[hooks.ConsentRequest, bytes]:
            request = hooks.consent_request(server_ice)
            answer = None if request is None else listener_side.answer(request.data)
            if request is None or answer is None:
                raise RuntimeError("no check, or the listener would not answer it")
            return request, answer

        answers = deque(check_and_answer() for _ in range(rounds * block * 2 + 10))

        def next_answer() -> bytes:
            request, data = answers.popleft()
            waiter.waiting = request
            hooks.expect_response(request.protocol, request.transaction_id, waiter)
            return data

        real, stand_in = endpoint.sock, _StandInSocket(sink.addr)
        endpoint.sock = stand_in  # type: ignore[assignment]
        kinds: dict[str, Callable[[], bytes | None]] = {
            "empty turn": lambda: None,
            "consent check": lambda: check.data,
            "RTCP RR": reports.popleft,
            "answer to our check": next_answer,
        }
        results: dict[str, dict[str, list[float]]] = {k: {"old": [], "new": []} for k in kinds}
        try:
            for _ in range(rounds):
                for mode in ("old", "new"):
                    if mode == "old":
                        endpoint.stop_answering(answerer)
                    else:
                        endpoint.answer_consent(answerer)
                    for kind, source in kinds.items():
                        sent, taken = stand_in.sent, waiter.stats.answered
                        us = await _per_datagram(endpoint, stand_in, source, block)
                        if kind == "consent check" and stand_in.sent - sent < block:
                            raise RuntimeError(f"{mode}: {stand_in.sent - sent} answers")
                        if kind == "answer to our check" and waiter.stats.answered - taken != block:
                            raise RuntimeError(f"{mode}: {waiter.stats.answered - taken} taken")
                        results[kind][mode].append(us)
        finally:
            endpoint.sock = real
            endpoint.answer_consent(answerer)
        print(f"mux counters: {vars(endpoint.stats)}")
        stats = await server.pc.getTransceivers()[0].sender.getStats()
        reached = any(s.type == "remote-inbound-rtp" for s in stats.values())
        print(f"the old path's reports reached aiortc's sender: {reached}")
        empty = {m: statistics.median(results["empty turn"][m]) for m in ("old", "new")}
        return {
            kind: (
                statistics.median(results[kind]["old"]) - empty["old"],
                statistics.median(results[kind]["new"]) - empty["new"],
            )
            for kind in kinds
            if kind != "empty turn"
        } | {"empty turn": (empty["old"], empty["new"])}
    finally:
        await listener.close()
        await server.close()
        await mux.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--block", type=int, default=400, help="datagrams per block")
    parser.add_argument(
        "--census", type=float, default=0.0, help="first count what arrives for this long (s)"
    )
    args = parser.parse_args()
    for kind, (old, new) in asyncio.run(measure(args.rounds, args.block, args.census)).items():
        print(f"{kind:14s} old {old:6.1f} µs   new {new:6.1f} µs")


if __name__ == "__main__":
    main()
