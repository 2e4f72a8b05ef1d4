"""The relay's sockets on 127.0.0.1: an origin, a lossy path, two edges. Every
packet reaches both edges (what the path lost is asked for and sent again),
each edge gets only its own room, and an edge says when the stream stops and
when it comes back."""

import asyncio
import random
import struct

from app.media.server.relay import STALL_SECONDS, EdgeRelay, OriginRelay, RelayKeys

HOST = "127.0.0.1"
Address = tuple[str, int]


def rtp(seq: int, ssrc: int) -> bytes:
    return struct.pack("!BBHII", 0x80, 111, seq & 0xFFFF, seq * 960, ssrc) + bytes(40)


class LossyPath(asyncio.DatagramProtocol):
    """Between origin and edge: drops `loss` of what the origin sends (both ways
    pass otherwise), as a lossy network between nodes would."""

    def __init__(self, origin: Address, edge: Address, loss: float, seed: int) -> None:
        self.origin, self.edge, self.loss = origin, edge, loss
        self.rng = random.Random(seed)
        self.dropped = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        assert self.transport is not None
        if addr[:2] == self.origin:
            if self.rng.random() < self.loss:
                self.dropped += 1
                return
            self.transport.sendto(data, self.edge)
        else:
            self.transport.sendto(data, self.origin)


async def open_path(
    origin: Address, edge: Address, loss: float, seed: int
) -> tuple[LossyPath, Address]:
    path = LossyPath(origin, edge, loss, seed)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: path, local_addr=(HOST, 0))
    return path, transport.get_extra_info("sockname")[:2]


async def test_every_packet_reaches_every_edge_through_loss() -> None:
    origin = OriginRelay()
    origin_at = await origin.open(HOST)
    edges, paths, got = [], [], []
    try:
        for n in range(2):
            edge = EdgeRelay()
            edge_at = await edge.open(HOST)
            # The edge talks to the path as if it were the origin, and back.
            path, path_at = await open_path(origin_at, edge_at, loss=0.1, seed=n)
            packets: list[bytes] = []
            stalls: list[bool] = []
            keys = RelayKeys.new()
            ssrc = edge.subscribe("room-a", path_at, keys, packets.append, stalls.append)
            origin.subscribe("room-a", path_at, keys, ssrc)
            edges.append(edge)
            paths.append(path)
            got.append((packets, stalls))
        assert len(origin.edges("room-a")) == 2
        sent = [rtp(seq, 0xABCD) for seq in range(150)]
        for packet in sent:
            assert origin.send("room-a", packet) == 2
            assert origin.send("room-b", packet) == 0  # nobody relays it
            await asyncio.sleep(0.004)
        for _ in range(100):  # the last repairs: a NACK round trip or two
            if all(len(set(packets)) == len(sent) for packets, _ in got):
                break
            await asyncio.sleep(0.02)
        for (packets, stalls), path, edge in zip(got, paths, edges, strict=True):
            assert path.dropped > 0  # the path did lose packets
            assert set(packets) == set(sent)
            stats = edge.stats("room-a")
            assert stats is not None and stats.repaired >= path.dropped - stats.given_up
            assert stalls == [False]  # heard from the first packet on
    finally:
        origin.close()
        for edge in edges:
            edge.close()


async def test_an_edge_says_when_the_stream_stops_and_returns_and_ignores_strangers() -> None:
    origin, edge = OriginRelay(), EdgeRelay()
    origin_at, edge_at = await origin.open(HOST), await edge.open(HOST)
    stalls: list[bool] = []
    try:
        keys = RelayKeys.new()
        ssrc = edge.subscribe("room", origin_at, keys, lambda _p: None, stalls.append)
        origin.subscribe("room", edge_at, keys, ssrc)
        origin.send("room", rtp(1, 7))
        await asyncio.sleep(STALL_SECONDS + 0.3)
        origin.send("room", rtp(2, 7))
        await asyncio.sleep(0.1)
        assert stalls == [False, True, False]

        # A stranger's datagrams, even with a matching SSRC, are not the room's.
        stranger = OriginRelay()
        await stranger.open(HOST)
        stranger.subscribe("room", edge_at, RelayKeys.new(), ssrc)
        stranger.send("room", rtp(3, 7))
        await asyncio.sleep(0.1)
        assert edge.unknown == 1 and stalls == [False, True, False]
        stranger.close()
    finally:
        origin.close()
        edge.close()
