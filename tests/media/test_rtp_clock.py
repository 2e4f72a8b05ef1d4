import struct
import time

from app.media.server.rtp_clock import NTP_EPOCH_OFFSET, RtpClock, ntp_time


def parse(header: bytes) -> tuple[int, int, int, int, int]:
    return struct.unpack("!BBHII", header)


def test_header_layout_and_marker_on_first_packet() -> None:
    clock = RtpClock(ssrc=0x01020304)
    clock.advance()
    v, m_pt, seq, ts, ssrc = parse(clock.header(111))
    assert v == 0x80
    assert m_pt == 0x80 | 111
    assert (seq, ts, ssrc) == (clock.sequence, clock.timestamp, 0x01020304)
    clock.advance()
    _, m_pt2, seq2, ts2, _ = parse(clock.header(111))
    assert m_pt2 == 111
    assert seq2 == (seq + 1) & 0xFFFF
    assert ts2 == (ts + 960) & 0xFFFFFFFF


def test_sequence_and_timestamp_wrap() -> None:
    clock = RtpClock()
    clock.advance()
    clock.sequence, clock.timestamp = 0xFFFF, 0xFFFFFFFF - 100
    clock.advance()
    assert clock.sequence == 0
    assert clock.timestamp == 859


def test_initial_sequence_in_lower_half() -> None:
    assert all(RtpClock().sequence < 0x8000 for _ in range(50))


def test_sender_times_extrapolate_from_last_tick() -> None:
    clock = RtpClock()
    clock.advance()
    now = time.time()
    ntp0, rtp0 = clock.sender_times(now)
    ntp1, rtp1 = clock.sender_times(now + 0.5)
    assert (rtp1 - rtp0) & 0xFFFFFFFF == 24_000
    assert (ntp1 - ntp0) >> 31 == 1  # half a second in 32.32 fixed point


def test_ntp_time() -> None:
    assert ntp_time(0.0) == NTP_EPOCH_OFFSET << 32
    assert ntp_time(1.5) & 0xFFFFFFFF == 1 << 31
