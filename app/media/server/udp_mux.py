"""One UDP port for every peer connection of a media server: ICE demultiplexing.

aioice opens a socket per peer connection, so a room of N listeners has N
sockets and the fan-out N ``sendto`` calls per packet. Here each media
address has one non-blocking socket (a ``MuxEndpoint``) that all peer
connections share, as LiveKit's and Janus's single-port modes do: aioice
still runs ICE for each connection (checks, nomination, consent answers)
through a StunProtocol of its own whose transport is a ``MuxTransport`` on
the shared socket, and the fan-out sends a tick's packets for many
listeners in one ``sendmmsg`` on it (app.media.server.batch).

Demultiplexing: a STUN Binding request goes by its USERNAME, whose first
half is our ICE ufrag (RFC 8445 section 7.2.2), and its source address
belongs to that connection from then on; any other datagram goes to the
connection its source address belongs to. A connection that sends to an
address nobody has takes it (aioice's checks, answers, DTLS, media all
send). Sending does not take an address from another connection: when a
listener's address is reused by a new one (its port freed and bound again,
a NAT mapping handed on) while the old connection still lives, the new
one's checks move the address, and the old connection's consent checks no
longer pull it back. Anything else from an unknown address is dropped and
counted (``unrouted``).

Once a connection's ICE is completed (``UdpMux.take_over``) its peer's
consent checks are answered here, before any parsing (app.media.server.
consent_answer), its answers to our own checks are verified here
(``CheckedPeer.take_response``), and a send-only listener's RTCP receiver
reports are dropped unread: nothing on the server reads them (its aiortc
senders are parked, the fan-out sends its own reports, nobody asks for
their stats), and aiortc would SRTP-unprotect and parse each one. A
speaker's RTCP still goes to aiortc. The first byte tells STUN (0-3) from
SRTP/SRTCP (128-191) from DTLS (20-63, untouched), RFC 7983; an SRTCP
packet's type is in clear in its second byte. Anything else goes to aioice
as before.

Writes: media goes through the batch senders; everything else (STUN, DTLS,
RTCP from aiortc) through ``sendto``, which queues what the kernel refuses
(a full send buffer) and sends it when the socket is writable again, up to
``CONTROL_BACKLOG`` datagrams (beyond: dropped, counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aioice import stun
from aioice.utils import random_string

from app.media import aiortc_hooks as hooks
from app.media.server.consent import CheckedPeer, ConsentWheel
from app.media.server.consent_answer import ConsentAnswerer

logger = logging.getLogger(__name__)

Address = tuple[str, int]
CONTROL_BACKLOG = 4096
READ_BURST = 256  # datagrams read per wake-up, so one busy socket cannot starve the loop
USERNAME_LENGTH = 16  # RFC 8445: at least 24 bits of randomness; 4 characters is ~24
SEND_BUFFER = 4 << 20
RECEIVE_BUFFER = 4 << 20
_STUN_BINDING_REQUEST = b"\x00\x01"
_STUN_BINDING_SUCCESS = b"\x01\x01"
_RTCP_RR = b"\xc9"  # 201: a compound RTCP packet from a receiver starts with its report


@dataclass
class MuxStats:
    received: int = 0
    unrouted: int = 0  # from an address no connection talks to (and no valid STUN)
    control_sent: int = 0
    control_queued: int = 0  # refused by the kernel at first, sent later
    control_dropped: int = 0  # backlog full
    send_errors: int = 0
    consent_answered: int = 0  # consent checks answered here, not by aioice
    consent_responses: int = 0  # responses to our consent checks, verified here
    rtcp_dropped: int = 0  # send-only listeners' receiver reports, dropped unread


class MuxTransport(asyncio.DatagramTransport):
    """What one aioice StunProtocol sees as its socket: a view of the shared one."""

    def __init__(self, endpoint: MuxEndpoint, protocol: asyncio.DatagramProtocol) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.protocol = protocol
        self._closing = False

    def sendto(self, data: bytes | bytearray | memoryview, addr: Any = None) -> None:
        if self._closing:
            return
        address = (addr[0], addr[1])
        self.endpoint.claim(address, self.protocol, take=False)
        self.endpoint.sendto(bytes(data), address)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "sockname":
            return self.endpoint.local_address
        if name == "socket":
            return None  # shared: nobody may set options on it for one connection
        return default

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self.endpoint.detach(self.protocol)
            self.protocol.connection_lost(None)

    def abort(self) -> None:
        self.close()


class MuxEndpoint:
    """One shared, non-blocking UDP socket bound to one media address."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.family = sock.family
        host, port = sock.getsockname()[:2]
        self.local_address: Address = (host, port)
        self.stats = MuxStats()
        self._loop = loop
        self._by_addr: dict[Address, asyncio.DatagramProtocol] = {}
        self._by_user: dict[str, asyncio.DatagramProtocol] = {}
        self._addrs_of: dict[asyncio.DatagramProtocol, set[Address]] = {}
        self._user_of: dict[asyncio.DatagramProtocol, str] = {}
        self._answering: dict[Address, ConsentAnswerer] = {}  # a completed pair's peer
        self._backlog: deque[tuple[bytes, Address]] = deque()
        self._waiting: list[Callable[[], bool]] = []  # batch senders with packets left
        self._writing = False
        self._closed = False
        loop.add_reader(self.fd, self._on_readable)

    # -- who is who ----------------------------------------------------------

    def attach(self, protocol: asyncio.DatagramProtocol, username: str) -> MuxTransport:
        if username in self._by_user:
            logger.warning(
                "media socket %s: ICE ufrag %r in use twice", self.local_address, username
            )
        self._by_user[username] = protocol
        self._user_of[protocol] = username
        self._addrs_of[protocol] = set()
        return MuxTransport(self, protocol)

    def claim(self, addr: Address, protocol: asyncio.DatagramProtocol, take: bool = True) -> None:
        """Datagrams from ``addr`` go to ``protocol`` from now on; with ``take``
        False only if no other connection has ``addr``."""
        owner = self._by_addr.get(addr)
        if owner is protocol or (owner is not None and not take):
            return
        if owner is not None:
            self._addrs_of.get(owner, set()).discard(addr)
            self._answering.pop(addr, None)  # another connection's peer now
        self._by_addr[addr] = protocol
        self._addrs_of.setdefault(protocol, set()).add(addr)

    def detach(self, protocol: asyncio.DatagramProtocol) -> None:
        for addr in self._addrs_of.pop(protocol, set()):
            if self._by_addr.get(addr) is protocol:
                del self._by_addr[addr]
                self._answering.pop(addr, None)
        user = self._user_of.pop(protocol, None)
        if user is not None and self._by_user.get(user) is protocol:
            del self._by_user[user]

    def answer_consent(self, answerer: ConsentAnswerer) -> bool:
        """Answer the consent checks from ``answerer.addr`` with it (and drop its RTCP
        receiver reports if it says so) while that address is its connection's;
        False if it is not (any more)."""
        if self._by_addr.get(answerer.addr) is not answerer.protocol:
            return False
        self._answering[answerer.addr] = answerer
        return True

    def stop_answering(self, answerer: ConsentAnswerer) -> None:
        if self._answering.get(answerer.addr) is answerer:
            del self._answering[answerer.addr]

    def answering(self, addr: Address) -> ConsentAnswerer | None:
        return self._answering.get(addr)

    def has_username(self, username: str) -> bool:
        return username in self._by_user

    @property
    def connections(self) -> int:
        return len(self._user_of)

    # -- receiving -----------------------------------------------------------

    def _on_readable(self) -> None:
        recvfrom = self.sock.recvfrom
        by_addr = self._by_addr
        answering = self._answering
        for _ in range(READ_BURST):
            try:
                data, source = recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. an ICMP error reported on the socket
                logger.debug("media socket %s: %r", self.local_address, exc)
                continue
            self.stats.received += 1
            addr = (source[0], source[1])
            answerer = answering.get(addr)
            if answerer is not None and data:
                first = data[0]
                if first < 4:  # STUN
                    if data[:2] == _STUN_BINDING_SUCCESS:
                        waiter = hooks.response_waiter(answerer.protocol, data[8:20])
                        if isinstance(waiter, CheckedPeer) and waiter.take_response(data):
                            self.stats.consent_responses += 1
                            continue
                    else:
                        response = answerer.answer(data)
                        if response is not None:
                            self.stats.consent_answered += 1
                            self.sendto(response, addr)
                            continue
                elif answerer.drop_rtcp and 127 < first < 192 and data[1:2] == _RTCP_RR:
                    self.stats.rtcp_dropped += 1
                    continue
            protocol = by_addr.get(addr)
            if protocol is None or data[:2] == _STUN_BINDING_REQUEST:
                protocol = self._route_request(data, addr) or protocol
                if protocol is None:
                    self.stats.unrouted += 1
                    continue
            try:
                protocol.datagram_received(data, addr)
            except Exception:  # one connection's failure must not stop the socket
                logger.exception("media socket %s: delivery failed", self.local_address)

    def _route_request(self, data: bytes, addr: Address) -> asyncio.DatagramProtocol | None:
        """The connection a Binding request's USERNAME names (it takes ``addr``)."""
        if data[:2] != _STUN_BINDING_REQUEST:
            return None
        try:
            username = stun.parse_message(data).attributes.get("USERNAME")
        except ValueError:
            return None
        if not isinstance(username, str):
            return None
        protocol = self._by_user.get(username.split(":", 1)[0])
        if protocol is not None:
            self.claim(addr, protocol)
        return protocol

    # -- sending ---------------------------------------------------------------

    def sendto(self, data: bytes, addr: Address) -> None:
        """Send one datagram now, or as soon as the socket takes it (order kept)."""
        if self._closed:
            return
        if not self._backlog:
            try:
                self.sock.sendto(data, addr)
                self.stats.control_sent += 1
                return
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as exc:
                self.stats.send_errors += 1
                logger.debug("media socket %s -> %s: %r", self.local_address, addr, exc)
                return
        if len(self._backlog) >= CONTROL_BACKLOG:
            self.stats.control_dropped += 1
            return
        self._backlog.append((data, addr))
        self.stats.control_queued += 1
        self._want_writable()

    def wait_writable(self, resume: Callable[[], bool]) -> None:
        """Call ``resume()`` when the socket takes data again; it returns True while
        it still has packets the kernel refused."""
        if resume not in self._waiting:
            self._waiting.append(resume)
        self._want_writable()

    def cancel_wait(self, resume: Callable[[], bool]) -> None:
        with contextlib.suppress(ValueError):
            self._waiting.remove(resume)

    def _want_writable(self) -> None:
        if not self._writing and not self._closed:
            self._writing = True
            self._loop.add_writer(self.fd, self._on_writable)

    def _on_writable(self) -> None:
        while self._backlog:
            data, addr = self._backlog[0]
            try:
                self.sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.stats.send_errors += 1
                logger.debug("media socket %s -> %s: %r", self.local_address, addr, exc)
            else:
                self.stats.control_sent += 1
            self._backlog.popleft()
        self._waiting = [resume for resume in self._waiting if resume()]
        if not self._waiting:
            self._writing = False
            self._loop.remove_writer(self.fd)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self.fd)
        if self._writing:
            self._loop.remove_writer(self.fd)
        self._backlog.clear()
        self._waiting.clear()
        self.sock.close()


class UdpMux:
    """The shared media sockets of one media server (or room): one per address,
    and the consent checks of the connections on them."""

    def __init__(self, endpoints: list[MuxEndpoint]) -> None:
        self.endpoints = endpoints
        self.consent = ConsentWheel()  # for the connections on these sockets
        self._answerers: dict[int, tuple[MuxEndpoint, ConsentAnswerer]] = {}  # id(connection)

    @classmethod
    def open(cls, addresses: Sequence[str] = (), port: int = 0) -> UdpMux:
        """Bind a socket on each address (default: every non-loopback address, as
        aioice would gather); raises OSError if none can be bound."""
        loop = asyncio.get_running_loop()
        endpoints = []
        errors = []
        for address in addresses or hooks.host_addresses():
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
                sock.bind((address, port))
            except OSError as exc:
                sock.close()
                errors.append(f"{address}: {exc}")
                continue
            endpoints.append(MuxEndpoint(sock, loop))
        if not endpoints:
            raise OSError(f"no media address could be bound ({'; '.join(errors) or 'none'})")
        for error in errors:
            logger.warning("media address skipped: %s", error)
        return cls(endpoints)

    def take_over(self, connection: Any, *, drop_rtcp: bool = False) -> None:
        """``connection``'s ICE is completed: check its consent on the wheel, answer
        its peer's checks on the shared socket and, with ``drop_rtcp`` (the peer
        sends no media), drop its RTCP receiver reports."""
        self.consent.add(connection)
        protocol = hooks.nominated_protocol(connection)
        route = hooks.nominated_route(connection)
        if protocol is None or route is None:
            return
        transport, addr = route
        if isinstance(transport, MuxTransport) and transport.endpoint in self.endpoints:
            answerer = ConsentAnswerer(connection, protocol, addr, drop_rtcp=drop_rtcp)
            if transport.endpoint.answer_consent(answerer):
                self._answerers[id(connection)] = (transport.endpoint, answerer)

    def release(self, connection: Any) -> None:
        """Undo ``take_over`` (the connection is closing)."""
        self.consent.remove(connection)
        taken = self._answerers.pop(id(connection), None)
        if taken is not None:
            endpoint, answerer = taken
            endpoint.stop_answering(answerer)

    def new_username(self) -> str:
        """An ICE ufrag no connection on these sockets uses (16 characters)."""
        while True:
            username = random_string(USERNAME_LENGTH)
            if not any(e.has_username(username) for e in self.endpoints):
                return username

    async def close(self) -> None:
        """Close the sockets (close the peer connections on them first)."""
        await self.consent.stop()
        for endpoint in self.endpoints:
            endpoint.close()

    @property
    def stats(self) -> MuxStats:
        total = MuxStats()
        for endpoint in self.endpoints:
            for name, value in vars(endpoint.stats).items():
                setattr(total, name, getattr(total, name) + value)
        return total
