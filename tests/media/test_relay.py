"""The origin-to-edge hop: what arrives is exactly what was sent, only the
origin's keys are accepted, and what the network loses is asked for and
sent again (RTCP Generic NACK), across a 16-bit sequence wrap."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.media.server.relay import (
    MAX_TRIES,
    RETRY_SECONDS,
    STALL_SECONDS,
    Rebase,
    RelayIn,
    RelayKeys,
    RelayOut,
    build_nack,
    parse_nack,
)

SSRC = 0x1234ABCD


def rtp(seq: int, payload: bytes = b"opus!") -> bytes:
    header = struct.pack("!BBHII", 0x80, 111, seq & 0xFFFF, (seq * 960) & 0xFFFFFFFF, SSRC)
    return header + payload + bytes([seq & 0xFF])


def packet(seq: int, ssrc: int, ts: int) -> bytes:
    return struct.pack("!BBHII", 0x80, 111, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + b"opus"


def test_the_edge_gets_exactly_the_origins_packets() -> None:
    keys = RelayKeys.new()
    out, edge = RelayOut(keys), RelayIn(keys)
    for seq in range(10):
        datagram = out.protect(rtp(seq))
        assert datagram[12:17] != b"opus!"  # encrypted on the wire
        assert edge.receive(datagram, now=seq * 0.02) == rtp(seq)
    assert edge.received == 10 and edge.rejected == 0 and edge.feedback(1.0) is None


def test_forged_replayed_and_foreign_datagrams_are_dropped_and_counted() -> None:
    keys = RelayKeys.new()
    out, edge = RelayOut(keys), RelayIn(keys)
    good = out.protect(rtp(1))
    flipped = bytearray(good)
    flipped[-1] ^= 1
    assert edge.receive(bytes(flipped), 0.0) is None  # fails authentication
    assert edge.receive(good, 0.0) == rtp(1)
    assert edge.receive(good, 0.0) is None  # a replay
    stranger = RelayOut(RelayKeys.new()).protect(rtp(2))
    assert edge.receive(stranger, 0.0) is None  # another cluster's, or an attacker's key
    assert edge.receive(b"\x80\x00junk", 0.0) is None
    assert edge.rejected == 4 and edge.received == 1


def test_lost_packets_are_asked_for_and_sent_again() -> None:
    keys = RelayKeys.new()
    out, edge = RelayOut(keys), RelayIn(keys)
    lost = {5, 6, 9}
    delivered: dict[int, bytes] = {}
    for seq in range(12):
        datagram = out.protect(rtp(seq))
        if seq not in lost and (got := edge.receive(datagram, seq * 0.02)) is not None:
            delivered[seq] = got
    nack = edge.feedback(0.25)
    assert nack is not None
    for datagram in out.asked(nack):
        got = edge.receive(datagram, 0.26)
        assert got is not None
        delivered[struct.unpack_from("!H", got, 2)[0]] = got
    assert delivered == {seq: rtp(seq) for seq in range(12)}
    assert edge.repaired == 3 and out.resent == 3 and edge.feedback(0.5) is None


def test_a_packet_that_never_comes_is_asked_for_a_few_times_then_given_up() -> None:
    keys = RelayKeys.new()
    out, edge = RelayOut(keys), RelayIn(keys)
    edge.receive(out.protect(rtp(1)), 0.0)
    out.protect(rtp(2))  # lost, and the origin forgets it below
    edge.receive(out.protect(rtp(3)), 0.04)
    asks = 0
    now = 0.05
    while (nack := edge.feedback(now)) is not None or asks == 0:
        assert nack is not None
        fresh = RelayOut(keys)  # one that still has packet 2: the NACK asks for it alone
        fresh.protect(rtp(2))
        assert len(fresh.asked(nack)) == 1 and fresh.resent == 1
        asks += 1
        assert edge.feedback(now + RETRY_SECONDS / 2) is None  # not again so soon
        now += RETRY_SECONDS + 0.01
    assert asks == MAX_TRIES and edge.given_up == 1


def test_sequence_numbers_wrap() -> None:
    keys = RelayKeys.new()
    out, edge = RelayOut(keys), RelayIn(keys)
    for seq in (65533, 65534, 65535, 0, 1, 2):
        datagram = out.protect(rtp(seq))
        if seq not in (65535, 0):  # lost across the wrap
            edge.receive(datagram, 0.0)
    nack = edge.feedback(0.1)
    assert nack is not None
    again = out.asked(nack)
    repaired = [struct.unpack_from("!H", edge.receive(d, 0.1) or b"", 2)[0] for d in again]
    assert sorted(repaired) == [0, 65535] and edge.repaired == 2


def test_an_edge_that_hears_nothing_is_stalled_until_the_stream_returns() -> None:
    keys = RelayKeys.new()
    out, edge = RelayOut(keys), RelayIn(keys)
    assert edge.stalled(0.0)
    edge.receive(out.protect(rtp(1)), 10.0)
    assert not edge.stalled(10.0 + STALL_SECONDS / 2)
    assert edge.stalled(10.0 + STALL_SECONDS)
    edge.receive(out.protect(rtp(2)), 12.0)
    assert not edge.stalled(12.0)


def test_nack_feedback_that_is_not_the_edges_is_ignored() -> None:
    keys = RelayKeys.new()
    out = RelayOut(keys)
    out.protect(rtp(1))
    other = RelayKeys.new()  # a well-formed NACK under someone else's key
    their_out, their_edge = RelayOut(other), RelayIn(other)
    their_edge.receive(their_out.protect(rtp(0)), 0.0)
    their_out.protect(rtp(1))  # lost on its way
    their_edge.receive(their_out.protect(rtp(2)), 0.0)
    forged = their_edge.feedback(0.1)
    assert forged is not None and their_out.asked(forged)  # valid for its own origin
    assert out.asked(forged) == [] and out.asked(b"garbage") == [] and out.rejected == 2


@given(st.sets(st.integers(0, 0xFFFF), min_size=1, max_size=40))
def test_a_nack_lists_exactly_the_asked_sequence_numbers(seqs: set[int]) -> None:
    parsed = parse_nack(build_nack(7, SSRC, sorted(seqs)))
    assert parsed is not None and sorted(parsed) == sorted(seqs)


def test_keys_travel_as_hex_and_refuse_the_wrong_length() -> None:
    keys = RelayKeys.new()
    assert RelayKeys.from_hex(keys.hex()) == keys
    with pytest.raises(ValueError):
        RelayKeys.from_hex("00" * 10)


def test_rebase_keeps_one_stream_across_a_new_origin() -> None:
    rebase = Rebase(ssrc=0x1234)
    first = [rebase.apply(packet(seq, 0xAAAA, ts=seq * 960)) for seq in range(65530, 65536)]
    # A repair of an older packet keeps its place; the newest stays the reference.
    repaired = rebase.apply(packet(65532, 0xAAAA, ts=65532 * 960))
    # The new origin numbers from anywhere: the edge's stream follows on.
    second = [rebase.apply(packet(seq, 0xBBBB, ts=seq * 960 + 7)) for seq in (100, 101)]
    fields = [struct.unpack_from("!HII", p, 2) for p in (*first, repaired, *second)]
    assert {ssrc for _, _, ssrc in fields} == {0x1234}
    seqs = [seq for seq, _, _ in fields]
    assert seqs == [65530, 65531, 65532, 65533, 65534, 65535, 65532, 0, 1]
    stamps = [ts for _, ts, _ in fields]
    assert stamps[7] == (stamps[5] + 960) & 0xFFFFFFFF and stamps[8] == stamps[7] + 960
    assert all(p[12:] == q[12:] for p, q in zip(first, first, strict=True))
