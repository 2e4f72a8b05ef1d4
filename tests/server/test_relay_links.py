"""The origin's side of the edge relay, with its real socket on 127.0.0.1 and
a fake room plane: an edge subscribes, renews without a new SRTP session,
gets the packets, and is dropped when it stops renewing."""

import asyncio
from collections.abc import Callable

import msgspec

from app.media.server.relay import RelayIn, RelayKeys
from app.server.relay_links import EXPIRY, RelayAsk, RelayGrant, RelayOrigin, encode_ask


class Clock:
    ssrc = 0xFEED


class Plane:
    def __init__(self) -> None:
        self.clock = Clock()
        self.taps: list[Callable[[bytes], None]] = []

    def add_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        self.taps.append(tap)

    def remove_packet_tap(self, tap: Callable[[bytes], None]) -> None:
        self.taps.remove(tap)

    def send(self, seq: int) -> None:
        rtp = bytes([0x80, 111]) + seq.to_bytes(2, "big") + bytes(4) + (0xFEED).to_bytes(4, "big")
        for tap in self.taps:
            tap(rtp + b"opus")


class Edge(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.got.append(data)


async def test_an_edge_is_sent_the_room_until_it_stops_renewing() -> None:
    now = [100.0]
    plane = Plane()
    origin = RelayOrigin(lambda: "node-a", "127.0.0.1", lambda _room: plane, lambda: now[0])
    edge = Edge()
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: edge, local_addr=("127.0.0.1", 0)
    )
    try:
        host, port = transport.get_extra_info("sockname")[:2]
        keys = RelayKeys.new()
        ask = msgspec.msgpack.decode(encode_ask(RelayAsk(host, port, keys.hex(), 7)), type=RelayAsk)
        grant = msgspec.msgpack.decode(await origin.grant("room", ask), type=RelayGrant)
        assert (grant.node, grant.ssrc) == ("node-a", 0xFEED) and grant.port > 0
        assert len(plane.taps) == 1 and origin.edges("room") == 1
        plane.send(1)
        now[0] += EXPIRY - 0.5
        await origin.grant("room", ask)  # a renewal: the same session goes on
        origin.sweep()
        plane.send(2)
        for _ in range(100):
            if len(edge.got) == 2:
                break
            await asyncio.sleep(0.01)
        relay = RelayIn(keys)
        # Both unprotect in order: a second session under these keys would
        # have restarted its packet index (and reused GCM nonces).
        assert [relay.receive(d, now[0]) is not None for d in edge.got] == [True, True]
        now[0] += EXPIRY - 0.5
        origin.sweep()
        assert origin.edges("room") == 1
        now[0] += 1.0  # past its expiry: dropped, and nothing taps the room any more
        origin.sweep()
        assert origin.edges("room") == 0 and plane.taps == []
        assert origin.socket.edges("room") == []
    finally:
        transport.close()
        origin.close()


async def test_bad_keys_are_refused_and_change_nothing() -> None:
    plane = Plane()
    origin = RelayOrigin(lambda: "node-a", "127.0.0.1", lambda _room: plane)
    try:
        reply = await origin.grant("room", RelayAsk("127.0.0.1", 9, "abcd", 1))
        assert b"56 bytes" in reply
        assert origin.edges("room") == 0 and plane.taps == []
    finally:
        origin.close()
