"""Demultiplexing on the shared media socket when a listener's address is reused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from aioice import stun

from app.media.server.udp_mux import MuxEndpoint, UdpMux


class Recorded(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.datagrams.append(data)


def binding_request(username: str) -> bytes:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    message.attributes["USERNAME"] = username
    return bytes(message)


@pytest.fixture
async def endpoint() -> AsyncIterator[MuxEndpoint]:
    mux = UdpMux.open(("127.0.0.1",))
    yield mux.endpoints[0]
    await mux.close()


async def until(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(5):
            while not condition():  # noqa: ASYNC110 - plain lists, no event to wait on
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"no {what}") from None


async def test_a_new_connection_from_a_reused_address_gets_its_datagrams(
    endpoint: MuxEndpoint,
) -> None:
    old, new = Recorded(), Recorded()
    old_transport = endpoint.attach(old, "o" * 16)
    endpoint.attach(new, "n" * 16)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        client.setblocking(False)
        addr = client.getsockname()
        server = endpoint.local_address
        # The old listener's connection talked to this address (it has it)...
        old_transport.sendto(b"consent check", addr)
        client.sendto(b"\x80\x6f old media", server)
        await until(lambda: bool(old.datagrams), "the old connection's datagram")
        # ...then a new listener on the same address checks the new connection.
        client.sendto(binding_request("n" * 16 + ":peer"), server)
        await until(lambda: bool(new.datagrams), "the new connection's check")
        # The old connection's next consent check does not take the address back.
        old_transport.sendto(b"consent check", addr)
        client.sendto(b"\x16 dtls from the new listener", server)
        await until(lambda: len(new.datagrams) == 2, "the new listener's DTLS")
        assert old.datagrams == [b"\x80\x6f old media"]
        assert new.datagrams[1] == b"\x16 dtls from the new listener"
        # A request naming nobody we know stays with the address's connection.
        client.sendto(binding_request("x" * 16 + ":peer"), server)
        await until(lambda: len(new.datagrams) == 3, "an unknown ufrag")
        assert endpoint.stats.unrouted == 0
