from typing import Any

import pytest

from app.media.server.fanout import FanoutStream
from app.media.server.rtp_clock import RtpClock
from app.media.server.udp_mux import MuxEndpoint


class FakeSink:
    def __init__(self, payload_type: int = 111, fail: bool = False) -> None:
        self.payload_type = payload_type
        self.addr: Any = ("127.0.0.1", 9)
        self.report_source: Any = None
        self.closed = False
        self.fail = fail
        self.sent: list[bytes] = []
        self.endpoint: MuxEndpoint | None = None  # not on a shared socket: sent alone
        self.session = None

    def refresh_route(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True

    def protect(self, packet: bytes) -> bytes:
        if self.fail:
            raise RuntimeError("srtp failure")
        return b"P" + packet

    def sendto(self, data: bytes, addr: Any) -> None:
        assert addr == self.addr
        self.sent.append(data)


@pytest.fixture
def clock() -> RtpClock:
    c = RtpClock(ssrc=42)
    c.advance()
    return c


def test_every_sink_gets_the_same_packet(clock: RtpClock) -> None:
    stream = FanoutStream(clock)
    sinks = [FakeSink() for _ in range(5)]
    for s in sinks:
        stream.add(s)
    assert stream.send(b"opus") == 5
    expected = b"P" + clock.header(111) + b"opus"
    assert all(s.sent == [expected] for s in sinks)
    assert all(s.report_source is stream for s in sinks)


def test_payload_type_groups(clock: RtpClock) -> None:
    stream = FanoutStream(clock)
    a, b = FakeSink(111), FakeSink(96)
    stream.add(a)
    stream.add(b)
    stream.send(b"x")
    assert a.sent[0][2] & 0x7F == 111
    assert b.sent[0][2] & 0x7F == 96


def test_add_is_idempotent_and_remove_detaches(clock: RtpClock) -> None:
    stream = FanoutStream(clock)
    a, b = FakeSink(), FakeSink()
    stream.add(a)
    stream.add(a)
    stream.add(b)
    assert len(stream) == 2
    stream.remove(a)
    stream.remove(a)
    assert a not in stream and b in stream
    assert a.report_source is None
    stream.send(b"x")
    assert a.sent == [] and len(b.sent) == 1
    stream.remove(b)
    assert len(stream) == 0
    assert stream.send(b"y") == 0


def test_failing_sink_is_dropped_without_starving_others(clock: RtpClock) -> None:
    stream = FanoutStream(clock)
    good1, bad, good2 = FakeSink(), FakeSink(fail=True), FakeSink()
    for s in (good1, bad, good2):
        stream.add(s)
    assert stream.send(b"x") == 2
    assert len(good1.sent) == len(good2.sent) == 1
    assert bad not in stream and stream.send_errors == 1


def test_sender_info_counts(clock: RtpClock) -> None:
    stream = FanoutStream(clock)
    stream.add(FakeSink())
    stream.send(b"abc")
    stream.send(b"de")
    _, rtp_ts, packets, octets = stream.sender_info()
    assert (packets, octets) == (2, 5)
    assert (rtp_ts - clock.timestamp) & 0xFFFFFFFF < 48_000


def test_a_forwarded_stream_reports_its_own_timestamps_not_the_planes_clock(
    clock: RtpClock,
) -> None:
    # An edge's plane has a clock (its SSRC) but forwards the origin's packets.
    stream = FanoutStream(clock)
    stream.add(FakeSink())
    far = (clock.timestamp + 2**31) & 0xFFFFFFFF
    stream.forward(bytes([0x80, 111]) + (7).to_bytes(2, "big") + far.to_bytes(4, "big") + bytes(8))
    _, rtp_ts, packets, _ = stream.sender_info()
    assert packets == 1
    assert (rtp_ts - far) & 0xFFFFFFFF < 48_000
