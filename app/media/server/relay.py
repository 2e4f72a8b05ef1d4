"""Origin to edge: a room's encoded audience mix, sent once to every node that
has listeners of the room (issue 13).

The origin mixes and encodes once; each edge gets the same RTP packets once
over UDP and fans them out to its own WebRTC listeners unchanged
(`FanoutStream.forward`). The hop is SRTP with AEAD AES-128-GCM through
libsrtp (authenticated and encrypted; the keys go to the edge over the
cluster's signaling, never over this socket), so a forged or replayed
datagram is dropped and counted. Loss between nodes is repaired with RTCP
Generic NACK (RFC 4585 §6.2.1), itself SRTCP-protected: the origin keeps each
edge's last `RETAIN` protected packets and sends the asked ones again; the
edge forwards a repaired packet when it comes (the listeners' jitter buffers
reorder). An edge that hears nothing for `STALL_SECONDS` says so once, and
again when the stream comes back.

`RelayOut` (origin, one per room and edge) and `RelayIn` (edge, one per room)
are the sans-I/O halves: bytes in, bytes out, time passed in.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import pylibsrtp

from app.dsp import FRAME_SAMPLES

KEY_BYTES = 28  # AEAD_AES_128_GCM: 16 bytes of key, 12 of salt
RETAIN = 128  # packets kept for NACKs at the origin: ~2.5 s of 20 ms packets
STALL_SECONDS = 1.0
RETRY_SECONDS = 0.1  # a NACK not answered by then is sent again
MAX_TRIES = 3
MAX_MISSING = 64  # a gap wider than this is a restart, not loss to repair
_GCM = pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM
_RTPFB, _NACK_FMT = 205, 1
_SEQ = struct.Struct("!H")
_SSRC = struct.Struct("!I")
_NACK_HEAD = struct.Struct("!BBHII")
_FCI = struct.Struct("!HH")


@dataclass(frozen=True, slots=True)
class RelayKeys:
    """One subscription's keys: origin to edge (media), edge to origin (NACKs)."""

    down: bytes
    up: bytes

    @classmethod
    def new(cls) -> RelayKeys:
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES))

    def hex(self) -> str:
        return (self.down + self.up).hex()

    @classmethod
    def from_hex(cls, text: str) -> RelayKeys:
        raw = bytes.fromhex(text)
        if len(raw) != 2 * KEY_BYTES:
            raise ValueError("relay keys must be 56 bytes")
        return cls(raw[:KEY_BYTES], raw[KEY_BYTES:])


def _session(key: bytes, inbound: bool) -> pylibsrtp.Session:
    kind = pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND
    return pylibsrtp.Session(policy=pylibsrtp.Policy(key=key, ssrc_type=kind, srtp_profile=_GCM))


class RelayOut:
    """The origin's half for one edge: protects each packet, answers NACKs."""

    def __init__(self, keys: RelayKeys) -> None:
        self._media = _session(keys.down, inbound=False)
        self._feedback = _session(keys.up, inbound=True)
        self._kept: OrderedDict[int, bytes] = OrderedDict()  # seq -> protected datagram
        self.resent = 0
        self.rejected = 0  # feedback that failed authentication or made no sense

    def protect(self, rtp: bytes) -> bytes:
        datagram: bytes = self._media.protect(rtp)
        seq = _SEQ.unpack_from(rtp, 2)[0]
        self._kept[seq] = datagram
        self._kept.move_to_end(seq)
        while len(self._kept) > RETAIN:
            self._kept.popitem(last=False)
        return datagram

    def asked(self, srtcp: bytes) -> list[bytes]:
        """The kept datagrams an edge's NACK asks for (those still kept)."""
        try:
            rtcp: bytes = self._feedback.unprotect_rtcp(srtcp)
        except pylibsrtp.Error:
            self.rejected += 1
            return []
        wanted = parse_nack(rtcp)
        if wanted is None:
            self.rejected += 1
            return []
        again = [self._kept[seq] for seq in wanted if seq in self._kept]
        self.resent += len(again)
        return again


@dataclass(slots=True)
class _Missing:
    first_asked: float
    last_asked: float
    tries: int


class RelayIn:
    """The edge's half for one room: authenticates, finds gaps, asks again."""

    def __init__(self, keys: RelayKeys, own_ssrc: int | None = None) -> None:
        self._media = _session(keys.down, inbound=True)
        self._feedback = _session(keys.up, inbound=False)
        self.own_ssrc = own_ssrc if own_ssrc is not None else secrets.randbits(32)
        self.source_ssrc: int | None = None
        self._highest: int | None = None  # extended sequence number
        self._missing: dict[int, _Missing] = {}  # extended seq -> asking state
        self.last_packet: float | None = None
        self.received = 0
        self.repaired = 0
        self.rejected = 0  # failed authentication, or replays
        self.given_up = 0  # missing packets no NACK brought back

    def receive(self, datagram: bytes, now: float) -> bytes | None:
        """The RTP packet, or None for a datagram that is not the origin's."""
        try:
            rtp: bytes = self._media.unprotect(datagram)
        except pylibsrtp.Error:
            self.rejected += 1
            return None
        self.source_ssrc = _SSRC.unpack_from(rtp, 8)[0]
        self.last_packet = now
        self.received += 1
        self._track(_SEQ.unpack_from(rtp, 2)[0], now)
        return rtp

    def feedback(self, now: float) -> bytes | None:
        """A protected NACK for what is missing and due to be asked (or None)."""
        due: list[int] = []
        for ext, state in list(self._missing.items()):
            if state.tries and now - state.last_asked < RETRY_SECONDS:
                continue
            if state.tries >= MAX_TRIES:
                del self._missing[ext]
                self.given_up += 1
                continue
            state.tries += 1
            state.last_asked = now
            due.append(ext & 0xFFFF)
        if not due or self.source_ssrc is None:
            return None
        packet: bytes = self._feedback.protect_rtcp(
            build_nack(self.own_ssrc, self.source_ssrc, due)
        )
        return packet

    def stalled(self, now: float) -> bool:
        return self.last_packet is None or now - self.last_packet >= STALL_SECONDS

    def _track(self, seq: int, now: float) -> None:
        if self._highest is None:
            self._highest = seq
            return
        # The extended number nearest to the highest seen (16-bit wrap).
        ext = self._highest + ((seq - self._highest + 0x8000) & 0xFFFF) - 0x8000
        if ext in self._missing:
            del self._missing[ext]
            self.repaired += 1
        elif ext > self._highest:
            gap = ext - self._highest - 1
            if gap > MAX_MISSING:  # the origin restarted its stream: start over
                self._missing.clear()
            else:
                for lost in range(self._highest + 1, ext):
                    self._missing[lost] = _Missing(now, now, 0)
            self._highest = ext


def build_nack(sender_ssrc: int, media_ssrc: int, seqs: list[int]) -> bytes:
    """RTCP Generic NACK: one FCI (PID + bitmask of the 16 after it) per run."""
    fci = b""
    pending = sorted(set(seqs))
    while pending:
        pid = pending.pop(0)
        mask = 0
        for seq in list(pending):
            offset = (seq - pid) & 0xFFFF
            if 1 <= offset <= 16:
                mask |= 1 << (offset - 1)
                pending.remove(seq)
        fci += _FCI.pack(pid, mask)
    words = (_NACK_HEAD.size + len(fci)) // 4 - 1
    return _NACK_HEAD.pack(0x80 | _NACK_FMT, _RTPFB, words, sender_ssrc, media_ssrc) + fci


def parse_nack(rtcp: bytes) -> list[int] | None:
    """The sequence numbers a Generic NACK asks for; None if it is not one."""
    if len(rtcp) < _NACK_HEAD.size + _FCI.size:
        return None
    first, kind, words, _sender, _media = _NACK_HEAD.unpack_from(rtcp)
    if first >> 6 != 2 or first & 0x1F != _NACK_FMT or kind != _RTPFB:
        return None
    end = (words + 1) * 4
    if end > len(rtcp) or (end - _NACK_HEAD.size) % _FCI.size:
        return None
    seqs: list[int] = []
    for offset in range(_NACK_HEAD.size, end, _FCI.size):
        pid, mask = _FCI.unpack_from(rtcp, offset)
        seqs.append(pid)
        seqs.extend((pid + bit + 1) & 0xFFFF for bit in range(16) if mask >> bit & 1)
    return seqs


class Rebase:
    """An edge's listeners see one continuous stream whatever the origin: each
    source's packets get the edge's SSRC, and sequence numbers and timestamps
    shifted to follow on from the last packet of the source before (a new
    origin after a takeover starts its own numbering)."""

    def __init__(self, ssrc: int, samples_per_packet: int = FRAME_SAMPLES) -> None:
        self.ssrc = ssrc
        self._step = samples_per_packet
        self._source: int | None = None
        self._seq_shift = 0
        self._ts_shift = 0
        self._last: tuple[int, int] | None = None  # (seq, timestamp) last sent out

    def apply(self, rtp: bytes) -> bytes:
        source = _SSRC.unpack_from(rtp, 8)[0]
        seq = _SEQ.unpack_from(rtp, 2)[0]
        timestamp = _SSRC.unpack_from(rtp, 4)[0]
        if source != self._source:
            self._source = source
            if self._last is None:
                self._seq_shift = self._ts_shift = 0
            else:
                self._seq_shift = (self._last[0] + 1 - seq) & 0xFFFF
                self._ts_shift = (self._last[1] + self._step - timestamp) & 0xFFFFFFFF
        out_seq = (seq + self._seq_shift) & 0xFFFF
        out_ts = (timestamp + self._ts_shift) & 0xFFFFFFFF
        if self._last is None or ((out_seq - self._last[0]) & 0xFFFF) < 0x8000:
            self._last = (out_seq, out_ts)  # the newest (a repair is older)
        return rtp[:2] + struct.pack("!HII", out_seq, out_ts, self.ssrc) + rtp[12:]


# -- the sockets ---------------------------------------------------------------

Address = tuple[str, int]
FEEDBACK_INTERVAL = 0.05  # the edge's one timer: NACK retries and stall checks


class OriginRelay(asyncio.DatagramProtocol):
    """The origin's one relay socket: each room's packets to its edges, and
    their NACKs answered. An edge is known by its address and the SSRC it
    sends feedback with (plain in an SRTCP header: the rest is encrypted)."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[Address, RelayOut]] = {}
        self._feedback: dict[tuple[Address, int], RelayOut] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self.sent = 0
        self.unknown = 0  # datagrams from no subscribed edge
        # Tests: a lossy path between nodes (True drops that datagram to that
        # edge, first sends and resends alike).
        self.lose: Callable[[Address], bool] | None = None

    async def open(self, host: str, port: int = 0) -> Address:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        assert self._transport is not None
        address: Address = self._transport.get_extra_info("sockname")[:2]
        return address

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def subscribe(self, room_id: str, edge: Address, keys: RelayKeys, edge_ssrc: int) -> None:
        self.unsubscribe(room_id, edge)  # new keys for an edge replace its old ones
        out = RelayOut(keys)
        self._rooms.setdefault(room_id, {})[edge] = out
        self._feedback[(edge, edge_ssrc)] = out

    def unsubscribe(self, room_id: str, edge: Address) -> None:
        out = self._rooms.get(room_id, {}).pop(edge, None)
        if out is not None:
            self._feedback = {k: v for k, v in self._feedback.items() if v is not out}

    def edges(self, room_id: str) -> list[Address]:
        return list(self._rooms.get(room_id, {}))

    def send(self, room_id: str, rtp: bytes) -> int:
        """One packet of the room's mix to each of its edges; how many got it."""
        edges = self._rooms.get(room_id)
        if not edges or self._transport is None:
            return 0
        for edge, out in edges.items():
            datagram = out.protect(rtp)
            if self.lose is None or not self.lose(edge):
                self._transport.sendto(datagram, edge)
        self.sent += len(edges)
        return len(edges)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if len(data) < 8 or self._transport is None:
            self.unknown += 1
            return
        out = self._feedback.get((addr[:2], _SSRC.unpack_from(data, 4)[0]))
        if out is None:
            self.unknown += 1
            return
        for datagram in out.asked(data):
            if self.lose is None or not self.lose(addr[:2]):
                self._transport.sendto(datagram, addr)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


@dataclass(slots=True)
class _Subscription:
    room_id: str
    origin: Address
    relay: RelayIn
    on_packet: Callable[[bytes], None]
    on_stall: Callable[[bool], None]
    stalled: bool = True  # until the first packet


class EdgeRelay(asyncio.DatagramProtocol):
    """An edge's one relay socket: the rooms it relays, each from its origin."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._subs: dict[str, _Subscription] = {}
        self._by_source: dict[tuple[Address, int], _Subscription] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._timer: asyncio.Task[None] | None = None
        self.unknown = 0

    async def open(self, host: str, port: int = 0) -> Address:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        assert self._transport is not None
        self._timer = loop.create_task(self._run())
        address: Address = self._transport.get_extra_info("sockname")[:2]
        return address

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def subscribe(
        self,
        room_id: str,
        origin: Address,
        keys: RelayKeys,
        on_packet: Callable[[bytes], None],
        on_stall: Callable[[bool], None],
        own_ssrc: int | None = None,
    ) -> int:
        """Relay `room_id` from `origin`; returns the SSRC our NACKs carry
        (`own_ssrc`, when the origin was told it before)."""
        self.unsubscribe(room_id)
        sub = _Subscription(room_id, origin, RelayIn(keys, own_ssrc), on_packet, on_stall)
        self._subs[room_id] = sub
        return sub.relay.own_ssrc

    def unsubscribe(self, room_id: str) -> None:
        sub = self._subs.pop(room_id, None)
        if sub is not None:
            self._by_source = {k: v for k, v in self._by_source.items() if v is not sub}

    def stats(self, room_id: str) -> RelayIn | None:
        sub = self._subs.get(room_id)
        return sub.relay if sub is not None else None

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if len(data) < 12:
            self.unknown += 1
            return
        source = (addr[:2], _SSRC.unpack_from(data, 8)[0])
        sub = self._by_source.get(source)
        candidates = [sub] if sub is not None else self._unbound(addr[:2])
        now = self._clock()
        for candidate in candidates:
            rtp = candidate.relay.receive(data, now)
            if rtp is None:
                continue
            self._by_source[source] = candidate
            if candidate.stalled:
                candidate.stalled = False
                candidate.on_stall(False)
            candidate.on_packet(rtp)
            nack = candidate.relay.feedback(now)  # a gap is asked for at once
            if nack is not None and self._transport is not None:
                self._transport.sendto(nack, candidate.origin)
            return
        self.unknown += 1

    def _unbound(self, origin: Address) -> list[_Subscription]:
        return [
            s for s in self._subs.values() if s.origin == origin and s.relay.source_ssrc is None
        ]

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FEEDBACK_INTERVAL)
            now = self._clock()
            for sub in list(self._subs.values()):
                nack = sub.relay.feedback(now)
                if nack is not None and self._transport is not None:
                    self._transport.sendto(nack, sub.origin)
                if not sub.stalled and sub.relay.stalled(now):
                    sub.stalled = True
                    sub.on_stall(True)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._transport is not None:
            self._transport.close()
