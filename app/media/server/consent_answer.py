"""Answering a peer's consent checks (RFC 7675) on the shared socket, without aioice.

Each listener checks consent about every 5 s (aioice; a browser every second
or so): a STUN Binding request signed with our ICE password. aioice parses it
into a Message (and the shared socket parsed it once more to route it),
verifies it, builds the response attribute by attribute and looks the pair
up, tens of µs of Python each time. Once a connection's ICE is completed its
checks are all alike, so ``ConsentAnswerer`` verifies the few attributes a
check has and answers it from parts computed once; aioice still gets
whatever is not such a check (docs/media.md has the costs).

What is answered here is exactly what aioice would answer with success and
then do nothing more for: a Binding request whose FINGERPRINT and
MESSAGE-INTEGRITY (our local password) verify, whose USERNAME is ours:theirs,
which carries PRIORITY and the role attribute opposite to ours, and nothing
else. USE-CANDIDATE (nomination), our own role attribute (a role conflict),
any other attribute, a bad signature (aioice answers 401, RFC 8489 section
9.1.3) and a connection that is closing all go to aioice as before.
"""

from __future__ import annotations

import binascii
import hmac
import ipaddress
import struct
from typing import Any

from app.media import aiortc_hooks as hooks

Address = tuple[str, int]

_COOKIE = 0x2112A442
_COOKIE_BYTES = _COOKIE.to_bytes(4, "big")
_FINGERPRINT_XOR = 0x5354554E
_TLV = struct.Struct("!HH")
_USERNAME = 0x0006
_PRIORITY = 0x0024
_ICE_CONTROLLED = 0x8029
_ICE_CONTROLLING = 0x802A
_INTEGRITY_TLV = b"\x00\x08\x00\x14"  # MESSAGE-INTEGRITY, 20 bytes of HMAC-SHA1
_FINGERPRINT_TLV = b"\x80\x28\x00\x04"
_TAIL = len(_INTEGRITY_TLV) + 20 + len(_FINGERPRINT_TLV) + 4  # MI then FINGERPRINT, last
_SMALLEST = 20 + 8 + 8 + 12 + _TAIL  # header, USERNAME "a:b", PRIORITY, a role, the tail
_SUCCESS = b"\x01\x01"


class ConsentAnswerer:
    """Answers the consent checks one peer sends from ``addr`` to one ICE connection."""

    __slots__ = (
        "_closing_of",
        "_mac",
        "_mapped",
        "_mapped_v6",
        "_username",
        "addr",
        "connection",
        "drop_rtcp",
        "protocol",
    )

    def __init__(
        self, connection: Any, protocol: Any, addr: Address, *, drop_rtcp: bool = False
    ) -> None:
        """``connection``: the aioice Connection (ICE completed); ``protocol``: its
        StunProtocol on the shared socket; ``addr``: the peer's end of the pair
        carrying media. ``drop_rtcp``: the peer sends no media (a send-only
        listener), so its RTCP receiver reports may be dropped unread."""
        self.connection = connection
        self.protocol = protocol
        self.addr = addr
        self.drop_rtcp = drop_rtcp
        # Keyed once: copying it costs less than keying HMAC-SHA1 per message.
        self._mac = hmac.new(connection.local_password.encode("utf8"), digestmod="sha1")
        self._username = f"{connection.local_username}:{connection.remote_username}".encode()
        self._closing_of = hooks.ice_closing
        ip = ipaddress.ip_address(addr[0])
        port = (addr[1] ^ (_COOKIE >> 16)).to_bytes(2, "big")
        if ip.version == 4:  # XOR with the cookie alone: the same for every response
            value = b"\x00\x01" + port + (int(ip) ^ _COOKIE).to_bytes(4, "big")
            self._mapped = _TLV.pack(0x0020, len(value)) + value
            self._mapped_v6: tuple[bytes, int] | None = None
        else:  # XOR with cookie and transaction id: done per response
            self._mapped = b""
            self._mapped_v6 = (b"\x00\x20\x00\x14\x00\x02" + port, int(ip))

    def answer(self, data: bytes) -> bytes | None:
        """The success response to ``data`` if it is a plain, verified consent check;
        None if aioice must handle it."""
        n = len(data)
        mi = n - _TAIL  # where MESSAGE-INTEGRITY starts, FINGERPRINT after it, last
        if (
            n < _SMALLEST
            or data[:2] != b"\x00\x01"
            or data[4:8] != _COOKIE_BYTES
            or int.from_bytes(data[2:4], "big") != n - 20
            or data[mi : mi + 4] != _INTEGRITY_TLV
            or data[n - 8 : n - 4] != _FINGERPRINT_TLV
            or not _fingerprinted(data)
        ):
            return None
        role = _ICE_CONTROLLED if self.connection.ice_controlling else _ICE_CONTROLLING
        username = priority = peer_role = False
        unpack = _TLV.unpack_from
        pos = 20
        while pos < mi:
            kind, length = unpack(data, pos)
            end = pos + 4 + length
            if kind == _USERNAME:
                username = data[pos + 4 : end] == self._username
            elif kind == _PRIORITY and length == 4:
                priority = True
            elif kind == role and length == 8:
                peer_role = True
            else:  # USE-CANDIDATE, our own role (a conflict), anything else: aioice's
                return None
            pos = end + (-length & 3)
        if pos != mi or not (username and priority and peer_role):
            return None
        if self._closing_of(self.connection):
            return None
        # MESSAGE-INTEGRITY: HMAC-SHA1 of everything before it, with the header's
        # length counting up to its end (not FINGERPRINT's).
        mac = self._mac.copy()
        mac.update(data[:2] + (mi + 4).to_bytes(2, "big") + data[4:mi])
        if not hmac.compare_digest(mac.digest(), data[mi + 4 : mi + 24]):
            return None
        return self._response(data[8:20])

    def _response(self, transaction_id: bytes) -> bytes:
        mapped = self._mapped
        if self._mapped_v6 is not None:
            head, ip = self._mapped_v6
            pad = int.from_bytes(transaction_id, "big") | (_COOKIE << 96)
            mapped = head + (ip ^ pad).to_bytes(16, "big")
        length = len(mapped) + 24
        tail = _COOKIE_BYTES + transaction_id + mapped
        mac = self._mac.copy()
        mac.update(_SUCCESS + length.to_bytes(2, "big") + tail)
        integrity = mac.digest()
        message = _SUCCESS + (length + 8).to_bytes(2, "big") + tail + _INTEGRITY_TLV + integrity
        fingerprint = binascii.crc32(message) ^ _FINGERPRINT_XOR
        return message + _FINGERPRINT_TLV + fingerprint.to_bytes(4, "big")


def signed_with(data: bytes, key: bytes) -> bool:
    """Whether ``data``, a STUN success response, ends in a FINGERPRINT and a
    MESSAGE-INTEGRITY before it that verify with ``key`` (whatever else it holds
    is not read: a consent check's response only has to be authentic)."""
    n = len(data)
    mi = n - _TAIL
    return (
        n >= 20 + _TAIL
        and data[:2] == _SUCCESS
        and data[4:8] == _COOKIE_BYTES
        and int.from_bytes(data[2:4], "big") == n - 20
        and data[mi : mi + 4] == _INTEGRITY_TLV
        and data[n - 8 : n - 4] == _FINGERPRINT_TLV
        and _fingerprinted(data)
        and hmac.compare_digest(
            hmac.digest(key, data[:2] + (mi + 4).to_bytes(2, "big") + data[4:mi], "sha1"),
            data[mi + 4 : mi + 24],
        )
    )


def _fingerprinted(data: bytes) -> bool:
    """FINGERPRINT (last) covers all before it; the header's length already counts it."""
    return binascii.crc32(data[:-8]) ^ _FINGERPRINT_XOR == int.from_bytes(data[-4:], "big")
