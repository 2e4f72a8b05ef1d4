"""Room events between nodes: Redis 7 sharded pub/sub, one channel per room.

The origin publishes each event once (lease.publish); Redis hands it to each
node subscribed to the room, and only those: a node subscribes while it has
members there, and delivers to its own members itself. So an event costs
one command and one copy per node, however many listeners each node holds.

Pub/sub keeps nothing: this side checks the stream. An event whose seq does
not follow the last one, a new origin's first event, or a subscription made
again after a break asks the listener to resync (a snapshot from the origin,
as clients do after a reconnect). Events from an older epoch than one
already seen are dropped: fenced origins cannot publish, and this makes sure.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from app.server.cluster import wire
from app.server.cluster.api import RoomListener
from app.server.cluster.keys import Keys
from app.server.cluster.subscriber import Subscriber

log = logging.getLogger(__name__)


@dataclass
class _Feed:
    listener: RoomListener
    last_seq: int | None = None
    epoch: int | None = None


class EventBus:
    def __init__(
        self,
        subscriber: Subscriber,
        keys: Keys,
        on_epoch: Callable[[str, int], None],
        node_id: str = "",
    ) -> None:
        self._node_id = node_id
        self._subscriber = subscriber
        self._keys = keys
        self._on_epoch = on_epoch  # a newer epoch seen: the lease keeper checks its own
        self._feeds: dict[str, _Feed] = {}
        self.received = 0

    def subscribed(self, room_id: str) -> bool:
        return room_id in self._feeds

    async def subscribe(self, room_id: str, listener: RoomListener) -> None:
        feed = self._feeds.get(room_id)
        if feed is not None:
            feed.listener = listener
            return
        self._feeds[room_id] = _Feed(listener)
        await self._subscriber.add(
            self._keys.room(room_id).events,
            lambda data: self._message(room_id, data),
            lambda: self._reset(room_id),
        )

    async def unsubscribe(self, room_id: str) -> None:
        if self._feeds.pop(room_id, None) is not None:
            await self._subscriber.remove(self._keys.room(room_id).events)

    def _message(self, room_id: str, data: bytes) -> None:
        feed = self._feeds.get(room_id)
        if feed is None:
            return
        try:
            event = wire.decode_event(data)
        except msgspec.DecodeError:
            log.error("room %s: an event that does not decode (%d bytes)", room_id, len(data))
            return
        self.received += 1
        if feed.epoch is not None and event.epoch < feed.epoch:
            log.warning("room %s: dropped an event from epoch %d", room_id, event.epoch)
            return
        if event.seq == 0:  # a notice: outside the numbered stream
            if event.node and event.node != self._node_id:
                return  # addressed to another node
            feed.listener.on_notice(room_id, event.target, event.frame, event.kick)
            return
        if feed.epoch is not None and event.epoch > feed.epoch:
            self._on_epoch(room_id, event.epoch)
            feed.listener.on_resync(room_id, "new origin")
        elif feed.last_seq is not None and event.seq <= feed.last_seq:
            return  # already delivered
        elif feed.last_seq is not None and event.seq != feed.last_seq + 1:
            feed.listener.on_resync(room_id, "gap")
        elif feed.epoch is None:
            self._on_epoch(room_id, event.epoch)
        feed.epoch, feed.last_seq = event.epoch, event.seq
        feed.listener.on_event(room_id, event.seq, event.frame)

    def _reset(self, room_id: str) -> None:
        feed = self._feeds.get(room_id)
        if feed is not None:
            feed.last_seq = None
            feed.listener.on_resync(room_id, "redis reconnected")
