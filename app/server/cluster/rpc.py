"""Requests forwarded to a room's origin, and its replies, over sharded pub/sub.

Each room has a request channel that only its origin listens on, and a reply
channel per node: the same hash slot as the room's lease, so the send and
the reply are each one fenced script (a request goes only to the lease's
current holder, a reply only from it). The receiver count that SPUBLISH
returns tells at once when the origin is gone (its connection closed with
it): no waiting for a timeout after a kill.

A sender retries the same request id: after a lost message or a slow
origin (the origin answers a repeat from its recent replies instead of
handling it twice), and after a takeover, at the new origin once it holds
the lease. Past the request's deadline: Unavailable, saying why.
"""

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

import msgspec

from app.server.cluster import scripts, wire
from app.server.cluster.api import Holder, RemoteError, RequestHandler, Unavailable
from app.server.cluster.config import ClusterConfig
from app.server.cluster.keys import Keys
from app.server.cluster.lease import RedisLease
from app.server.cluster.link import RedisDown, RedisLink
from app.server.cluster.subscriber import Subscriber

log = logging.getLogger(__name__)
_RECENT = 4096  # replies kept per origin for repeats
_POLL_FIRST, _POLL_CAP = 0.02, 0.25  # waiting for an origin to (re)appear


class RequestServer:
    """The origin side: handles requests for the rooms this node holds."""

    def __init__(self, leases: Callable[[str], RedisLease | None]) -> None:
        self._leases = leases
        self.handler: RequestHandler | None = None
        self._recent: OrderedDict[tuple[str, int], asyncio.Task[wire.ReplyEnvelope]] = OrderedDict()
        self.handled = 0

    def on_request(self, room_id: str, data: bytes) -> None:
        lease = self._leases(room_id)
        if lease is None:
            return
        try:
            request = wire.decode_request(data)
        except msgspec.DecodeError:
            log.error("room %s: a request that does not decode", room_id)
            return
        if request.epoch > lease.epoch:
            lease.lose(f"a request for epoch {request.epoch} arrived")
            return
        if request.epoch < lease.epoch or not lease.active or self.handler is None:
            return  # the sender times out and retries at whoever holds the room then
        key = (request.sender, request.request_id)
        known = self._recent.get(key)
        if known is not None:
            known.add_done_callback(lambda task: self._answer_again(lease, request.sender, task))
            return
        task = asyncio.get_running_loop().create_task(self._handle(lease, request, self.handler))
        self._recent[key] = task
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)

    async def _handle(
        self, lease: RedisLease, request: wire.RequestEnvelope, handler: RequestHandler
    ) -> wire.ReplyEnvelope:
        if not lease.active:
            # Taken up before a pause, started after it: the lease ran out
            # meanwhile, and a node without it must not act on the room.
            return wire.ReplyEnvelope(request.request_id, False, b"the room's lease ran out")
        try:
            body = await handler(lease.room_id, request.sender, request.body)
            reply = wire.ReplyEnvelope(request.request_id, True, body)
        except Exception as exc:  # the sender gets RemoteError; this node goes on
            log.exception("forwarded request for room %s failed", lease.room_id)
            reason = f"{type(exc).__name__}: {exc}"
            reply = wire.ReplyEnvelope(request.request_id, False, reason.encode())
        self.handled += 1
        lease.reply(request.sender, wire.encode(reply))
        return reply

    def _answer_again(
        self, lease: RedisLease, sender: str, task: "asyncio.Task[wire.ReplyEnvelope]"
    ) -> None:
        if not task.cancelled() and task.exception() is None:
            lease.reply(sender, wire.encode(task.result()))

    def cancel(self) -> None:
        for task in self._recent.values():
            task.cancel()


class Forwarder:
    """The sending side: a member's request, from the node they are on to the origin."""

    def __init__(
        self,
        link: RedisLink,
        subscriber: Subscriber,
        keys: Keys,
        node_id: str,
        config: ClusterConfig,
        local: Callable[[str], RequestHandler | None],
        keep_replies: Callable[[str], bool],
    ) -> None:
        self._link = link
        self._subscriber = subscriber
        self._keys = keys
        self._node_id = node_id
        self._config = config
        self._local = local  # this node's handler for a room it holds (active), else None
        self._keep_replies = keep_replies  # the room's reply channel is worth keeping
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[wire.ReplyEnvelope]] = {}
        self._per_room: dict[str, int] = {}
        self.sent = 0

    async def holder(self, room_id: str) -> Holder | None:
        lease_key = self._keys.room(room_id).lease
        token = await self._link.call(lambda client: client.get(lease_key))
        if not token:
            return None
        return Holder.parse(token.decode() if isinstance(token, bytes) else token)

    async def forward(self, room_id: str, body: bytes, timeout: float | None) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._config.forward_timeout if timeout is None else timeout)
        request_id = next(self._ids)
        reply: asyncio.Future[wire.ReplyEnvelope] = loop.create_future()
        self._pending[request_id] = reply
        self._per_room[room_id] = self._per_room.get(room_id, 0) + 1
        try:
            await self._listen_for_replies(room_id)
            result = await self._attempts(room_id, request_id, body, reply, deadline)
        finally:
            del self._pending[request_id]
            self._per_room[room_id] -= 1
            if not self._per_room[room_id]:
                del self._per_room[room_id]
                if not self._keep_replies(room_id):
                    await self._subscriber.remove(self._replies(room_id))
        if not result.ok:
            raise RemoteError(result.body.decode(errors="replace"))
        return result.body

    async def _attempts(
        self,
        room_id: str,
        request_id: int,
        body: bytes,
        reply: "asyncio.Future[wire.ReplyEnvelope]",
        deadline: float,
    ) -> wire.ReplyEnvelope:
        loop = asyncio.get_running_loop()
        rk = self._keys.room(room_id)
        pause = _POLL_FIRST
        why = "no node holds the room"
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise Unavailable(f"room {room_id} is unavailable: {why}")
            if reply.done():
                return reply.result()
            try:
                holder = await self.holder(room_id)
                if holder is None:
                    why = "no node holds the room"
                elif holder.node_id == self._node_id:
                    handler = self._local(room_id)
                    if handler is not None:
                        body_back = await handler(room_id, self._node_id, body)
                        return wire.ReplyEnvelope(request_id, True, body_back)
                    why = "this node's lease of the room is suspended"
                else:
                    payload = wire.encode(
                        wire.RequestEnvelope(request_id, self._node_id, holder.epoch, body)
                    )
                    send = scripts.Call(scripts.SEND, [rk.lease], [holder.token, rk.rpc, payload])
                    receivers = await self._link.call(partial(scripts.run, call=send))
                    self.sent += 1
                    if receivers == -2:
                        why = "no node holds the room"  # its lease just went; poll
                    elif receivers == -1:
                        why = "the room changed hands"
                        continue  # read the new holder at once
                    elif receivers == 0:
                        why = f"its origin {holder.node_id} is gone"
                    else:
                        try:
                            return await asyncio.wait_for(
                                asyncio.shield(reply), min(left, self._config.attempt_timeout)
                            )
                        except TimeoutError:
                            why = f"its origin {holder.node_id} did not answer"
                            pause = _POLL_FIRST
                            continue  # again at once, with the same id
            except RedisDown:
                why = "redis is unreachable"
            await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
            pause = min(_POLL_CAP, pause * 2)

    async def _listen_for_replies(self, room_id: str) -> None:
        channel = self._replies(room_id)
        if not self._subscriber.confirmed(channel):
            await self._subscriber.add(channel, self._on_reply, on_reset=_nothing)

    def _replies(self, room_id: str) -> str:
        return self._keys.room(room_id).replies(self._node_id)

    def _on_reply(self, data: bytes) -> None:
        try:
            reply = wire.decode_reply(data)
        except msgspec.DecodeError:
            log.error("a reply that does not decode")
            return
        future = self._pending.get(reply.request_id)
        if future is not None and not future.done():
            future.set_result(reply)


def _nothing() -> None:
    # Replies lost in a break are asked for again by the attempts' timeouts.
    return None
