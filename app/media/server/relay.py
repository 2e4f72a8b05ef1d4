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

import secrets
import struct
from collections import OrderedDict
from dataclasses import dataclass

import pylibsrtp

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
