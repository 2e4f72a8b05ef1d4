"""Batched sends (sendmmsg) against the portable path, on real sockets with real SRTP.

Each listener here is a UDP socket on 127.0.0.1 with the SRTP keys of its
"peer": what it receives is unprotected with the matching session, so a
packet sent with another listener's keys, to the wrong address, cut short
or corrupted fails authentication.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pylibsrtp
import pytest
from aiortc.rtp import RtcpPacket, RtcpSdesPacket, RtcpSrPacket

from app.media.server.batch import SendBatch
from app.media.server.fanout import FanoutStream
from app.media.server.mmsg import load_sendmmsg
from app.media.server.rtp_clock import RtpClock
from app.media.server.udp_mux import MuxEndpoint, UdpMux

PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AEAD_AES_128_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
}
KEY_LENGTH = {"AES_CM_128_HMAC_SHA1_80": 30, "AEAD_AES_128_GCM": 28}


def session(profile: str, key: bytes, outbound: bool) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=key,
        ssrc_type=(
            pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND
        ),
        srtp_profile=PROFILES[profile],
    )
    return pylibsrtp.Session(policy)


class Listener:
    """A receiving socket and the keys its peer was given."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.key = os.urandom(KEY_LENGTH[profile])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.addr: tuple[str, int] = self.sock.getsockname()
        self.rx = session(profile, self.key, outbound=False)

    def datagrams(self) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(self.sock.recv(2048))
            except BlockingIOError:
                return out

    def close(self) -> None:
        self.sock.close()


class Sink:
    """The server's side of one listener, as fast_sender.SrtpSink offers it."""

    def __init__(self, listener: Listener, endpoint: MuxEndpoint | None, addr: Any = None) -> None:
        self.session = session(listener.profile, listener.key, outbound=True)
        self.addr = addr or listener.addr
        self.endpoint = endpoint
        self.payload_type = 111
        self.report_source: Any = None
        self.closed = False

    @property
    def protect(self) -> Any:
        return self.session.protect

    def sendto(self, data: bytes, addr: Any) -> None:
        raise AssertionError("a sink on a shared socket is sent in batches")

    def refresh_route(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
async def endpoint() -> AsyncIterator[MuxEndpoint]:
    mux = UdpMux.open(("127.0.0.1",))
    yield mux.endpoints[0]
    await mux.close()


def rtp_packets(count: int, sizes: tuple[int, ...] = (90,)) -> list[bytes]:
    """One stream's packets (libsrtp refuses to protect an index twice)."""
    clock = RtpClock(ssrc=0x1234ABCD)
    out = []
    for i in range(count):
        clock.advance()
        out.append(clock.header(111) + os.urandom(sizes[i % len(sizes)]))
    return out


@pytest.mark.parametrize("profile", sorted(PROFILES))
async def test_batched_and_portable_paths_send_the_same_bytes(
    endpoint: MuxEndpoint, profile: str
) -> None:
    listeners = [Listener(profile) for _ in range(40)]
    packets = rtp_packets(13, sizes=(90,) * 12 + (900,))  # the last needs wider slots
    received: dict[str, list[list[bytes]]] = {}
    try:
        for mode, call in (("sendmmsg", load_sendmmsg()), ("sendto", None)):
            assert call is not None or mode == "sendto"
            batch = SendBatch(endpoint, call)
            assert batch.batched == (mode == "sendmmsg")
            for lst in listeners:
                batch.add(Sink(lst, endpoint))
            for packet in packets:
                assert batch.send(packet) == len(listeners)
            assert batch.stats.sent == len(listeners) * len(packets)
            received[mode] = [lst.datagrams() for lst in listeners]
        # pylibsrtp's own protect with the same keys gives the same bytes again.
        reference = []
        for lst in listeners:
            tx = session(profile, lst.key, outbound=True)
            reference.append([tx.protect(p) for p in packets])
        assert received["sendmmsg"] == reference
        assert received["sendto"] == reference
        for lst, datagrams in zip(listeners, received["sendmmsg"], strict=True):
            assert [lst.rx.unprotect(d) for d in datagrams] == packets
    finally:
        for lst in listeners:
            lst.close()


async def test_sender_reports_are_protected_as_srtcp(endpoint: MuxEndpoint) -> None:
    listener = Listener("AEAD_AES_128_GCM")
    try:
        batch = SendBatch(endpoint)
        batch.add(Sink(listener, endpoint))
        report = bytes([0x80, 200, 0, 6]) + os.urandom(24)  # an SR header and sender info
        assert batch.send(report, rtcp=True) == 1
        (datagram,) = listener.datagrams()
        assert listener.rx.unprotect_rtcp(datagram) == report
    finally:
        listener.close()


async def test_a_listener_leaving_keeps_keys_and_addresses_paired(endpoint: MuxEndpoint) -> None:
    listeners = [Listener("AEAD_AES_128_GCM") for _ in range(6)]
    sinks = [Sink(lst, endpoint) for lst in listeners]
    packets = rtp_packets(10)
    first, second = packets[:5], packets[5:]
    batch = SendBatch(endpoint)
    try:
        for sink in sinks:
            batch.add(sink)
        for packet in first:
            batch.send(packet)
        # One leaves from the middle (the last moves into its slot), the last one
        # leaves too, one goes away without a word (its socket closes), one joins.
        batch.remove(sinks[1])
        batch.remove(sinks[5])
        listeners[3].close()
        newcomer = Listener("AEAD_AES_128_GCM")
        batch.add(Sink(newcomer, endpoint))
        for packet in second:
            assert batch.send(packet) == 5  # the silent one still counts: UDP cannot tell
        for i in (0, 2, 4):
            datagrams = listeners[i].datagrams()
            assert [listeners[i].rx.unprotect(d) for d in datagrams] == first + second
        for i in (1, 5):
            datagrams = listeners[i].datagrams()
            assert [listeners[i].rx.unprotect(d) for d in datagrams] == first
        assert [newcomer.rx.unprotect(d) for d in newcomer.datagrams()] == second
        newcomer.close()
    finally:
        for lst in listeners:
            lst.close()


async def test_a_destination_the_kernel_refuses_is_dropped_and_the_rest_still_sent(
    endpoint: MuxEndpoint,
) -> None:
    clock = RtpClock()
    stream = FanoutStream(clock, "test")
    listeners = [Listener("AEAD_AES_128_GCM") for _ in range(4)]
    sinks = [Sink(lst, endpoint) for lst in listeners]
    sinks[1].addr = ("127.0.0.1", 0)  # port 0: EINVAL from the kernel, in mid-batch
    try:
        for sink in sinks:
            stream.add(sink)
        clock.advance()
        assert stream.send(b"\x01" * 60) == 3
        assert stream.send_errors == 1 and sinks[1] not in stream and len(stream) == 3
        clock.advance()
        assert stream.send(b"\x02" * 60) == 3
        for i in (0, 2, 3):
            payloads = [listeners[i].rx.unprotect(d)[12:] for d in listeners[i].datagrams()]
            assert payloads == [b"\x01" * 60, b"\x02" * 60]
    finally:
        for lst in listeners:
            lst.close()


def test_sendmmsg_is_found_only_where_it_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_sendmmsg() is not None  # Linux: the C library has it
    # A C library without the symbol (there is none on Linux to load: every
    # library here resolves it through libc).
    assert load_sendmmsg(SimpleNamespace(sendto=print)) is None
    monkeypatch.setattr(sys, "platform", "darwin")
    assert load_sendmmsg() is None


async def test_a_stream_falls_back_where_sendmmsg_is_missing(
    endpoint: MuxEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")  # what the selection sees on macOS
    clock = RtpClock()
    stream = FanoutStream(clock, "portable")
    listeners = [Listener("AES_CM_128_HMAC_SHA1_80") for _ in range(3)]
    try:
        for lst in listeners:
            stream.add(Sink(lst, endpoint))
        assert not stream.batched
        (group,) = stream.groups()
        assert isinstance(group, SendBatch) and not group.batched
        clock.advance()
        assert stream.send(b"opus") == 3
        for lst in listeners:
            (datagram,) = lst.datagrams()
            assert lst.rx.unprotect(datagram)[12:] == b"opus"
    finally:
        for lst in listeners:
            lst.close()


async def test_forwarded_packets_keep_their_numbering_and_payload(endpoint: MuxEndpoint) -> None:
    # An edge node: packets come from an origin, not from a local clock.
    stream = FanoutStream(None, "edge")
    listener = Listener("AEAD_AES_128_GCM")
    other_pt = Sink(listener, endpoint)
    other_pt.payload_type = 109  # this listener negotiated Opus as 109
    try:
        stream.add(other_pt)
        packets = rtp_packets(3)
        for packet in packets:
            assert stream.forward(packet) == 1
        got = [listener.rx.unprotect(d) for d in listener.datagrams()]
        assert [g[2:] for g in got] == [p[2:] for p in packets]  # seq, ts, ssrc, payload
        assert all(g[1] & 0x7F == 109 and g[0] == p[0] for g, p in zip(got, packets, strict=True))
        with pytest.raises(ValueError):
            stream.forward(b"\x00" * 20)
        with pytest.raises(RuntimeError):
            stream.send(b"opus")
    finally:
        listener.close()


async def test_a_stream_sends_one_sender_report_per_round(endpoint: MuxEndpoint) -> None:
    clock = RtpClock(ssrc=0xCAFE)
    stream = FanoutStream(clock, "audience", cname="room-cname", report_every=3)
    listeners = [Listener("AEAD_AES_128_GCM") for _ in range(2)]
    try:
        for lst in listeners:
            stream.add(Sink(lst, endpoint))
        for payload in (b"a" * 50, b"b" * 50, b"c" * 50):
            clock.advance()
            stream.send(payload)
        for lst in listeners:
            *media, report = lst.datagrams()
            assert len(media) == 3
            packets = RtcpPacket.parse(lst.rx.unprotect_rtcp(report))
            sr, sdes = packets
            assert isinstance(sr, RtcpSrPacket) and sr.ssrc == 0xCAFE
            assert (sr.sender_info.packet_count, sr.sender_info.octet_count) == (3, 150)
            assert isinstance(sdes, RtcpSdesPacket)
            assert sdes.chunks[0].items == [(1, b"room-cname")]
        assert stream.stats.reports == 1
    finally:
        for lst in listeners:
            lst.close()
