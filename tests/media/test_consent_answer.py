"""Our own answer to a peer's consent check, against aioice's parser and answers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from aioice import Connection, stun

from app.media.server.consent_answer import ConsentAnswerer
from app.media.server.udp_mux import MuxEndpoint, UdpMux
from tests.media.test_udp_mux import Recorded, until

Address = tuple[str, int]


def pair() -> tuple[Connection, Connection]:
    """(server, listener): the listener offered, so it is the controlling agent."""
    server, listener = Connection(ice_controlling=False), Connection(ice_controlling=True)
    server.remote_username = listener.local_username
    server.remote_password = listener.local_password
    listener.remote_username = server.local_username
    listener.remote_password = server.local_password
    return server, listener


def check(
    server: Connection,
    listener: Connection,
    *,
    password: str | None = None,
    edit: Callable[[stun.Message], None] = lambda message: None,
) -> stun.Message:
    """A consent check as aioice's consent loop builds it (RFC 7675)."""
    message = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    message.attributes["USERNAME"] = f"{server.local_username}:{listener.local_username}"
    message.attributes["PRIORITY"] = 1853824767
    message.attributes["ICE-CONTROLLING"] = 0x1234_5678_9ABC_DEF0
    edit(message)
    message.add_message_integrity((password or server.local_password).encode())
    return message


@pytest.mark.parametrize("addr", [("127.0.0.1", 50123), ("2001:db8::7", 9)])
async def test_the_answer_is_aioices_success_response_byte_for_byte(addr: Address) -> None:
    server, listener = pair()
    request = check(server, listener)
    response = ConsentAnswerer(server, None, addr).answer(bytes(request))
    assert response is not None
    parsed = stun.parse_message(response)  # verifies FINGERPRINT
    assert parsed.message_class == stun.Class.RESPONSE
    assert parsed.transaction_id == request.transaction_id
    assert parsed.attributes["XOR-MAPPED-ADDRESS"] == addr
    assert parsed.check_message_integrity(server.local_password.encode())
    assert not parsed.check_message_integrity(listener.local_password.encode())
    expected = stun.Message(stun.Method.BINDING, stun.Class.RESPONSE, request.transaction_id)
    expected.attributes["XOR-MAPPED-ADDRESS"] = addr
    expected.add_message_integrity(server.local_password.encode())
    assert response == bytes(expected)


def _corrupt_integrity(data: bytes) -> bytes:
    """Flip a bit of MESSAGE-INTEGRITY and fix FINGERPRINT, so only the HMAC fails."""
    message = bytearray(data[:-8])
    message[-1] ^= 1
    fingerprint = stun.message_fingerprint(bytes(message) + bytes(8))
    return bytes(message) + b"\x80\x28\x00\x04" + fingerprint.to_bytes(4, "big")


async def test_what_aioice_must_handle_is_not_answered() -> None:
    server, listener = pair()
    answerer = ConsentAnswerer(server, None, ("127.0.0.1", 50123))
    good = bytes(check(server, listener))
    assert answerer.answer(good) is not None

    def attribute(name: str, value: object) -> Callable[[stun.Message], None]:
        return lambda message: message.attributes.__setitem__(name, value)

    def without(name: str) -> Callable[[stun.Message], None]:
        return lambda message: message.attributes.pop(name)

    refused = {
        "wrong password": bytes(check(server, listener, password=listener.local_password)),
        "corrupt integrity": _corrupt_integrity(good),
        "corrupt fingerprint": good[:-1] + bytes([good[-1] ^ 1]),
        "nomination": bytes(check(server, listener, edit=attribute("USE-CANDIDATE", None))),
        "role conflict": bytes(check(server, listener, edit=attribute("ICE-CONTROLLED", 1))),
        "no role": bytes(check(server, listener, edit=without("ICE-CONTROLLING"))),
        "no priority": bytes(check(server, listener, edit=without("PRIORITY"))),
        "another attribute": bytes(check(server, listener, edit=attribute("SOFTWARE", "x"))),
        "another ufrag": bytes(
            check(server, listener, edit=attribute("USERNAME", f"{server.local_username}:abcd"))
        ),
        "not a request": bytes(stun.Message(stun.Method.BINDING, stun.Class.INDICATION)),
        "truncated": good[:-4],
        "empty": b"",
    }
    assert {name: answerer.answer(data) for name, data in refused.items()} == dict.fromkeys(refused)
    # aioice answers the wrong password with 401, never with success (RFC 8489 9.1.3).
    parsed = stun.parse_message(refused["wrong password"])
    assert not parsed.check_message_integrity(server.local_password.encode())


async def test_a_closing_connection_is_left_to_aioice() -> None:
    server, listener = pair()
    answerer = ConsentAnswerer(server, None, ("127.0.0.1", 50123))
    await server.close()
    assert answerer.answer(bytes(check(server, listener))) is None


# -- on the shared socket --------------------------------------------------


async def receive(sock: socket.socket, timeout: float = 5.0) -> bytes:
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.sock_recv(sock, 2048), timeout)


@pytest.fixture
async def endpoint() -> AsyncIterator[MuxEndpoint]:
    mux = UdpMux.open(("127.0.0.1",))
    yield mux.endpoints[0]
    await mux.close()


async def test_the_socket_answers_verified_checks_and_drops_only_receiver_reports(
    endpoint: MuxEndpoint,
) -> None:
    server, listener = pair()
    aioice_side = Recorded()
    transport = endpoint.attach(aioice_side, server.local_username)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        peer.setblocking(False)
        addr = peer.getsockname()
        transport.sendto(b"\x16 DTLS from us", addr)  # the connection has the address
        assert await receive(peer) == b"\x16 DTLS from us"
        answerer = ConsentAnswerer(server, aioice_side, addr, drop_rtcp=True)
        assert endpoint.answer_consent(answerer)

        request = check(server, listener)
        peer.sendto(bytes(request), endpoint.local_address)
        response = stun.parse_message(await receive(peer))
        assert response.message_class == stun.Class.RESPONSE
        assert response.transaction_id == request.transaction_id
        assert response.check_message_integrity(server.local_password.encode())

        wrong = bytes(check(server, listener, password=listener.local_password))
        rr = b"\x81\xc9\x00\x07" + bytes(28)  # (S)RTCP receiver report, in clear up to here
        passed_on = [
            wrong,
            b"\x80\xc8\x00\x06" + bytes(24),  # a sender report
            b"\x80\x6f\x00\x01" + bytes(20),  # RTP
            b"\x16\xfe\xfd" + bytes(20),  # DTLS
            b"\x81",  # one byte
        ]
        for data in [rr, *passed_on, rr]:
            peer.sendto(data, endpoint.local_address)
        await until(lambda: len(aioice_side.datagrams) == len(passed_on), "the datagrams")
        assert aioice_side.datagrams == passed_on
        with pytest.raises(TimeoutError):  # nothing answered the wrong password here
            await receive(peer, 0.2)
        assert endpoint.stats.consent_answered == 1
        assert endpoint.stats.rtcp_dropped == 2

        # A new connection takes the address (a reused port): nothing is answered
        # or dropped for the old one any more.
        other = Recorded()
        endpoint.attach(other, "n" * 16)
        endpoint.claim(addr, other)
        assert endpoint.answering(addr) is None
        peer.sendto(rr, endpoint.local_address)
        await until(lambda: other.datagrams == [rr], "the report, for the new connection")


async def test_answering_ends_with_the_connection_on_the_socket(endpoint: MuxEndpoint) -> None:
    server, _ = pair()
    protocol = Recorded()
    transport = endpoint.attach(protocol, server.local_username)
    addr = ("127.0.0.1", 9)
    endpoint.claim(addr, protocol)
    assert not endpoint.answer_consent(ConsentAnswerer(server, Recorded(), addr))
    assert endpoint.answer_consent(ConsentAnswerer(server, protocol, addr))
    transport.close()
    assert endpoint.answering(addr) is None
    await asyncio.sleep(0)
