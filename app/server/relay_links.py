"""The edge relay in the cluster (issue 13): who sends which room's audience
mix to which node, and the edge's own listeners of it (docs/cluster.md).

`RelayOrigin` runs where a room is held: each subscribed edge gets the room's
encoded audience packets once, through one `OriginRelay` socket; a
subscription not renewed within `EXPIRY` seconds is dropped, so a dead edge
stops costing the origin. `RelayEdge` runs on a node with WebRTC listeners of
a room held elsewhere: it subscribes over the cluster's forwarded requests
(making fresh `RelayKeys` for every subscription), renews every `RENEW`
seconds, follows a new origin after a takeover, and fans the packets out to
its listeners through a media plane whose mixer never starts. A stall (no
packets for `STALL_SECONDS`) is told to those listeners (`media_stalled`),
and told again when the packets return.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from app.media.server.relay import EdgeRelay, OriginRelay, Rebase, RelayKeys
from app.protocol import encode
from app.protocol.replies import MediaStalled
from app.server.cluster import RemoteError, Unavailable
from app.server.rooms.state import ParticipantId, participant_id

log = logging.getLogger(__name__)

RENEW = 1.0  # an edge renews each subscription this often
EXPIRY = 3.0  # an origin drops a subscription not renewed for this long
SWEEP = 0.5
ASK_TIMEOUT = 2.0  # one subscription request over the cluster


class RelayAsk(msgspec.Struct, array_like=True, frozen=True):
    """Edge to origin, in a forwarded request: send me the room's mix."""

    host: str
    port: int
    keys: str  # RelayKeys.hex(): made by the edge, new for every subscription
    ssrc: int  # the SSRC the edge's NACKs carry
    # Following a new origin: the members whose links the edge carries, kept
    # through the takeover, which the new origin has never seen offer (it
    # tells them `offer_again` when one goes on stage).
    listeners: tuple[int, ...] = ()


class RelayGrant(msgspec.Struct, array_like=True, frozen=True, tag="grant"):
    """The origin's answer: where the stream comes from."""

    node: str
    host: str
    port: int
    ssrc: int  # the room's RTP source


class RelayRefused(msgspec.Struct, array_like=True, frozen=True, tag="refused"):
    reason: str


_grant = msgspec.msgpack.Decoder(RelayGrant | RelayRefused)
_ask = msgspec.msgpack.Decoder(RelayAsk)


def refused(reason: str) -> bytes:
    return msgspec.msgpack.encode(RelayRefused(reason))


def encode_ask(ask: RelayAsk) -> bytes:
    return msgspec.msgpack.encode(ask)


def decode_ask(body: bytes) -> RelayAsk:
    return _ask.decode(body)


class TappedPlane(Protocol):
    """The origin room's media plane, as far as the relay needs it."""

    @property
    def clock(self) -> _Clock: ...

    def add_packet_tap(self, tap: Callable[[bytes], None]) -> None: ...
    def remove_packet_tap(self, tap: Callable[[bytes], None]) -> None: ...


class _Clock(Protocol):
    ssrc: int


class RelayedPlane(Protocol):
    """An edge's plane for one room: peer connections, the origin's packets in."""

    @property
    def clock(self) -> _Clock: ...  # its SSRC: the one its answers announce

    async def join(self, pid: ParticipantId, offer_sdp: str) -> str: ...
    async def leave(self, pid: ParticipantId) -> None: ...
    async def stop(self) -> None: ...
    def forward_audience(self, packet: bytes) -> int: ...


@dataclass
class _Feed:
    """At the origin: one room's stream to its edges."""

    plane: TappedPlane
    tap: Callable[[bytes], None]
    edges: dict[tuple[str, int], tuple[str, float]] = field(default_factory=dict)  # keys, expiry


class RelayOrigin:
    def __init__(
        self,
        node_id: Callable[[], str],
        host: str,
        plane_of: Callable[[str], TappedPlane | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._node_id = node_id
        self._host = host
        self._plane_of = plane_of
        self._clock = clock
        self.socket = OriginRelay()
        self._address: tuple[str, int] | None = None
        self._opening: asyncio.Lock = asyncio.Lock()
        self._feeds: dict[str, _Feed] = {}

    async def grant(self, room_id: str, ask: RelayAsk) -> bytes:
        """Subscribe (or renew) an edge; the answer for it."""
        plane = self._plane_of(room_id)
        if plane is None:
            return msgspec.msgpack.encode(RelayRefused("this node has no media plane"))
        try:
            keys = RelayKeys.from_hex(ask.keys)
        except ValueError as exc:
            return msgspec.msgpack.encode(RelayRefused(str(exc)))
        async with self._opening:
            if self._address is None:
                self._address = await self.socket.open(self._host)
        feed = self._feeds.get(room_id)
        if feed is not None and feed.plane is not plane:  # the room's plane was made anew
            self.forget(room_id)
            feed = None
        if feed is None:
            feed = self._feeds[room_id] = _Feed(plane, self._sender(room_id))
            plane.add_packet_tap(feed.tap)
        edge = (ask.host, ask.port)
        known = feed.edges.get(edge)
        if known is None or known[0] != ask.keys:
            # A renewal keeps its SRTP session: a new one under the same
            # keys would reuse GCM nonces.
            self.socket.subscribe(room_id, edge, keys, ask.ssrc)
            log.info("room %s: relaying to edge %s:%d", room_id, *edge)
        feed.edges[edge] = (ask.keys, self._clock() + EXPIRY)
        host, port = self._address
        return msgspec.msgpack.encode(RelayGrant(self._node_id(), host, port, plane.clock.ssrc))

    def edges(self, room_id: str) -> int:
        feed = self._feeds.get(room_id)
        return len(feed.edges) if feed is not None else 0

    def forget(self, room_id: str) -> None:
        """The room is no longer held here (or ended): no more relaying it."""
        feed = self._feeds.pop(room_id, None)
        if feed is None:
            return
        feed.plane.remove_packet_tap(feed.tap)
        for edge in feed.edges:
            self.socket.unsubscribe(room_id, edge)

    def sweep(self) -> None:
        now = self._clock()
        for room_id, feed in list(self._feeds.items()):
            for edge, (_keys, expiry) in list(feed.edges.items()):
                if expiry <= now:
                    del feed.edges[edge]
                    self.socket.unsubscribe(room_id, edge)
                    log.info("room %s: edge %s:%d stopped renewing; not relayed", room_id, *edge)
            if not feed.edges:
                self.forget(room_id)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SWEEP)
            try:
                self.sweep()
            except Exception:
                log.exception("the relay's sweep failed; it goes on")

    def close(self) -> None:
        for room_id in list(self._feeds):
            self.forget(room_id)
        self.socket.close()

    def _sender(self, room_id: str) -> Callable[[bytes], None]:
        send = self.socket.send
        return lambda packet: (send(room_id, packet), None)[1]


# Forward one relay request to the room's origin: (room, body) -> reply body.
Ask = Callable[[str, bytes], Awaitable[bytes]]


@dataclass
class _Relayed:
    """At an edge: one room relayed here."""

    plane: RelayedPlane
    rebase: Rebase
    listeners: dict[int, Callable[[bytes], None]] = field(default_factory=dict)  # deliver
    keys: RelayKeys | None = None
    own_ssrc: int = 0
    origin: str = ""  # the origin node's id
    address: tuple[str, int] | None = None
    stalled: bool = False  # told to the listeners
    subscribing: asyncio.Lock = field(default_factory=asyncio.Lock)


class RelayEdge:
    def __init__(
        self,
        host: str,
        ask: Ask,
        plane_factory: Callable[[], RelayedPlane],
        new_ssrc: Callable[[], int],
    ) -> None:
        self._host = host
        self._ask = ask
        self._factory = plane_factory
        self._new_ssrc = new_ssrc
        self.socket = EdgeRelay()
        self._open = False
        self._address: tuple[str, int] = (host, 0)
        self._opening = asyncio.Lock()
        self._rooms: dict[str, _Relayed] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.resubscribed = 0  # subscriptions made again (a new origin)

    def links(self) -> int:
        return sum(len(r.listeners) for r in self._rooms.values())

    @property
    def address(self) -> tuple[str, int] | None:
        """This node's relay socket (once opened)."""
        return self._address if self._open else None

    def relays(self, room_id: str) -> bool:
        return room_id in self._rooms

    async def offer(
        self, room_id: str, user_id: int, sdp: str, deliver: Callable[[bytes], None]
    ) -> str:
        """A listener's peer connection on this node; the origin's stream to it."""
        relayed = self._rooms.get(room_id)
        if relayed is None:
            plane = self._factory()
            relayed = self._rooms[room_id] = _Relayed(plane, Rebase(plane.clock.ssrc))
        if user_id in relayed.listeners:
            del relayed.listeners[user_id]
            await relayed.plane.leave(participant_id(user_id))
        async with relayed.subscribing:
            if relayed.address is None:
                try:
                    await self._subscribe(room_id, relayed)
                except BaseException:
                    if not relayed.listeners:
                        self.forget(room_id)
                    raise
        answer = await relayed.plane.join(participant_id(user_id), sdp)
        if self._rooms.get(room_id) is not relayed:  # forgotten meanwhile (a takeover here)
            await relayed.plane.leave(participant_id(user_id))
            raise ConnectionError("the room moved while its audio was being set up")
        relayed.listeners[user_id] = deliver
        if relayed.stalled:
            deliver(encode(MediaStalled(room_id=room_id, stalled=True)))
        return answer

    def drop(self, room_id: str, user_id: int) -> None:
        relayed = self._rooms.get(room_id)
        if relayed is None or relayed.listeners.pop(user_id, None) is None:
            return
        self._spawn(relayed.plane.leave(participant_id(user_id)))
        if not relayed.listeners:
            self.forget(room_id)

    def forget(self, room_id: str) -> list[Callable[[bytes], None]]:
        """No listeners here any more, or the room is held here now: stop
        relaying it (the origin drops us when we stop renewing). Returns how to
        reach the listeners it relayed (their links end with it)."""
        relayed = self._rooms.pop(room_id, None)
        if relayed is None:
            return []
        self.socket.unsubscribe(room_id)
        self._spawn(relayed.plane.stop())
        return list(relayed.listeners.values())

    async def renew(self) -> None:
        """Renew every subscription once (concurrently)."""
        rooms = list(self._rooms.items())
        await asyncio.gather(*(self._renew(r, relayed) for r, relayed in rooms))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(RENEW)
            try:
                await self.renew()
            except TimeoutError:
                # The origin died or is being replaced: expected, and retried.
                log.warning("renewing the relays: the origin did not answer; trying again")
            except Exception:
                log.exception("renewing the relays failed; trying again")

    async def close(self) -> None:
        for room_id in list(self._rooms):
            self.forget(room_id)
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
        self.socket.close()

    # -- internals ---------------------------------------------------------------

    async def _subscribe(self, room_id: str, relayed: _Relayed) -> None:
        async with self._opening:
            if not self._open:
                self._address = await self.socket.open(self._host)
                self._open = True
        relayed.keys = RelayKeys.new()
        relayed.own_ssrc = self._new_ssrc()
        grant = await self._request(room_id, relayed)
        self._bind(room_id, relayed, grant)

    def moved(self, room_id: str) -> None:
        """The room has a new origin (a takeover seen in its events): subscribe
        to it now, with fresh keys, rather than at the next renewal (up to
        RENEW later, and a round trip on the old keys first), the listeners
        here silent meanwhile."""
        relayed = self._rooms.get(room_id)
        if relayed is not None and relayed.address is not None:
            self._spawn(self._follow(room_id, relayed))

    async def _follow(self, room_id: str, relayed: _Relayed) -> None:
        async with relayed.subscribing:
            if self._rooms.get(room_id) is not relayed:
                return
            relayed.keys = RelayKeys.new()
            relayed.own_ssrc = self._new_ssrc()
            try:
                grant = await self._request(room_id, relayed, tuple(relayed.listeners))
            except (Unavailable, RemoteError, ConnectionError, TimeoutError) as exc:
                log.info("room %s: following its new origin failed: %s", room_id, exc)
                relayed.origin = ""  # so the next renewal tries again
                return
            if self._rooms.get(room_id) is relayed:
                self.resubscribed += 1
                self._bind(room_id, relayed, grant)

    async def _renew(self, room_id: str, relayed: _Relayed) -> None:
        async with relayed.subscribing:  # never beside `_follow`: one set of keys at a time
            await self._renew_held(room_id, relayed)

    async def _renew_held(self, room_id: str, relayed: _Relayed) -> None:
        if relayed.address is None:
            return
        try:
            grant = await self._request(room_id, relayed)
        except (Unavailable, RemoteError, ConnectionError) as exc:
            log.info("room %s: the relay's renewal failed: %s", room_id, exc)
            return
        if self._rooms.get(room_id) is not relayed:
            return
        if grant.node != relayed.origin:
            # A new origin (a takeover) took our renewal as a subscription with
            # the old keys: subscribe again with fresh ones, so that no SRTP
            # session restarts under keys already used.
            log.info("room %s: its origin is %s now; subscribing again", room_id, grant.node)
            self.resubscribed += 1
            relayed.keys = RelayKeys.new()
            relayed.own_ssrc = self._new_ssrc()
            try:
                grant = await self._request(room_id, relayed, tuple(relayed.listeners))
            except (Unavailable, RemoteError, ConnectionError) as exc:
                log.info("room %s: subscribing again failed: %s", room_id, exc)
                relayed.origin = ""  # so the next renewal tries again
                return
            self._bind(room_id, relayed, grant)

    async def _request(
        self, room_id: str, relayed: _Relayed, listeners: tuple[int, ...] = ()
    ) -> RelayGrant:
        assert relayed.keys is not None
        host, port = self._address
        ask = RelayAsk(host, port, relayed.keys.hex(), relayed.own_ssrc, listeners)
        body = encode_ask(ask)
        data = await asyncio.wait_for(self._ask(room_id, body), ASK_TIMEOUT + 1)
        try:
            reply = _grant.decode(data)
        except msgspec.DecodeError:  # the origin's protocol refusal (a takeover under way)
            raise ConnectionError("the origin cannot relay the room now") from None
        if isinstance(reply, RelayRefused):
            raise ConnectionError(f"the origin refused the relay: {reply.reason}")
        return reply

    def _bind(self, room_id: str, relayed: _Relayed, grant: RelayGrant) -> None:
        assert relayed.keys is not None
        relayed.origin = grant.node
        relayed.address = (grant.host, grant.port)
        plane, rebase = relayed.plane, relayed.rebase
        self.socket.subscribe(
            room_id,
            relayed.address,
            relayed.keys,
            lambda packet: (plane.forward_audience(rebase.apply(packet)), None)[1],
            lambda stalled: self._stall(room_id, relayed, stalled),
            own_ssrc=relayed.own_ssrc,
        )

    def _stall(self, room_id: str, relayed: _Relayed, stalled: bool) -> None:
        if stalled == relayed.stalled or self._rooms.get(room_id) is not relayed:
            return
        relayed.stalled = stalled
        log.info("room %s: the relayed stream %s", room_id, "stalled" if stalled else "is back")
        frame = encode(MediaStalled(room_id=room_id, stalled=stalled))
        for deliver in list(relayed.listeners.values()):
            deliver(frame)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("the edge relay's cleanup failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
