"""rtp_tap's header parser against aiortc's own serialiser."""

import struct

from aiortc.rtp import RtpPacket

from app.media.rtp_tap import parse_rtp


def test_plain_packet() -> None:
    raw = RtpPacket(payload_type=111, sequence_number=65535, timestamp=2**32 - 960, payload=b"op")
    header = parse_rtp(raw.serialize())
    assert header is not None
    assert (header.sequence_number, header.timestamp, header.payload_type) == (
        65535,
        2**32 - 960,
        111,
    )
    assert header.payload == b"op"


def test_csrcs_extension_and_padding_are_skipped() -> None:
    # Built by hand: V=2, P, X, CC=2; one-word extension; 4 bytes of padding.
    data = (
        bytes([0x80 | 0x20 | 0x10 | 2, 111])
        + struct.pack("!HII", 7, 48000, 0xABCD)
        + struct.pack("!II", 1, 2)  # CSRCs
        + struct.pack("!HH", 0xBEDE, 1)
        + b"\x31\x00\x00\x00"  # the extension word
        + b"voice"
        + b"\x00\x00\x00\x04"
    )
    header = parse_rtp(data)
    assert header is not None
    assert (header.sequence_number, header.timestamp, header.payload) == (7, 48000, b"voice")


def test_malformed_is_none() -> None:
    good = RtpPacket(payload_type=111, sequence_number=1, timestamp=1, payload=b"x").serialize()
    assert parse_rtp(good[:11]) is None  # shorter than the fixed header
    assert parse_rtp(bytes([0x40]) + good[1:]) is None  # version 1
    assert parse_rtp(bytes([good[0] | 0x0F]) + good[1:]) is None  # 15 CSRCs announced, none there
    assert parse_rtp(bytes([good[0] | 0x20]) + good[1:-1] + b"\xff") is None  # padding > packet
