"""`ClusterNode`: the `Cluster` of a node in a cluster on Redis (docs/cluster.md).

The composition of the parts: one Redis link and its supervisor, one pub/sub
connection, one ordered writer, the lease keeper, the event bus, request
forwarding in both directions, the node registry and the directory. Each
runs as its own task; a failure in one is logged and retried, and Redis
being away makes the node degraded, never stops it.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

from redis.asyncio import Redis

from app.server.cluster import directory, scripts
from app.server.cluster.api import (
    Health,
    Holder,
    Lease,
    NodeInfo,
    RequestHandler,
    RoomListener,
    RoomListing,
    StateListener,
    Unavailable,
    VolatileRoom,
)
from app.server.cluster.bus import EventBus
from app.server.cluster.config import ClusterConfig
from app.server.cluster.keys import Keys
from app.server.cluster.lease import LeaseKeeper, RedisLease
from app.server.cluster.link import RedisDown, RedisLink
from app.server.cluster.registry import NodeRegistry
from app.server.cluster.rpc import Forwarder, RequestServer
from app.server.cluster.subscriber import Subscriber
from app.server.cluster.writer import Writer
from app.server.tasks import stop_tasks

log = logging.getLogger(__name__)


class ClusterNode:
    def __init__(
        self,
        config: ClusterConfig,
        load: Callable[[], int] = lambda: 0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.node_id = config.new_node_id()
        self.keys = Keys.for_database(config.prefix, config.database)
        self._load = load
        self._started_at = wall_clock()
        self.link = RedisLink(config, wall_clock=wall_clock)
        self.subscriber = Subscriber(
            self.link,
            ping_interval=min(1.0, config.command_timeout),
            confirm_timeout=config.command_timeout,
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False
        # Built in start(): they need the running loop.
        self._keeper: LeaseKeeper | None = None
        self._writer: Writer | None = None
        self._server = RequestServer(self._lease_of)
        self._bus = EventBus(self.subscriber, self.keys, self._newer_epoch, self.node_id)
        self._forwarder = Forwarder(
            self.link,
            self.subscriber,
            self.keys,
            self.node_id,
            config,
            local=self._local_handler,
            keep_replies=self._bus.subscribed,
        )
        self._registry = NodeRegistry(self.link, self.keys, config, self._info)
        self._secrets: dict[str, bytes] = {}

    # -- life ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect and start the background work; a Redis not there yet leaves us degraded."""
        self._writer = Writer(self.link, self._fenced, self._unsent)
        self._keeper = LeaseKeeper(
            self.link,
            self._writer,
            self.subscriber,
            self.keys,
            self.node_id,
            self.config,
            self._server.on_request,
        )
        self.link.on_up(self._resync)
        if await self.link.connect():
            with contextlib.suppress(RedisDown):
                await self._registry.beat()
        loops: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = [
            ("link", self.link.run),
            ("pubsub", self.subscriber.run),
            ("writer", self._writer.run),
            ("leases", self._keeper.run),
            ("registry", self._run_registry),
        ]
        for name, work in loops:
            self._tasks[name] = asyncio.get_running_loop().create_task(
                _guarded(name, work), name=f"cluster {name} {self.node_id}"
            )
        self._started = True

    async def _run_registry(self) -> None:
        renewer = self.keeper.renewer

        def post(call: scripts.Call) -> None:
            renewer.heartbeat = call

        await self._registry.run(post)

    async def close(self) -> None:
        if self._started:
            keeper = self.keeper
            with contextlib.suppress(Exception):
                await keeper.release_all()
                await asyncio.wait_for(self.writer.drained(), self.config.command_timeout)
            # No heartbeat may land after the leave: stop the thread that sends them.
            keeper.renewer.stop()
            await asyncio.to_thread(keeper.renewer.join, self.config.command_timeout + 1.0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._registry.leave(self.node_id), self.config.command_timeout
                )
        self._server.cancel()
        if self._keeper is not None:
            await self._keeper.close()
        await stop_tasks(list(self._tasks.values()), "cluster")
        self._tasks.clear()
        await self.link.close()

    def health(self) -> Health:
        return self.link.health()

    @property
    def running(self) -> bool:
        """Whether every background loop of the node is still running."""
        return all(not task.done() for task in self._tasks.values())

    @property
    def forwards_sent(self) -> int:
        """Forwarding attempts this node sent (a retried request counts again)."""
        return self._forwarder.sent

    async def beat(self) -> None:
        """Send the registry's heartbeat (with the room count) now."""
        await self._registry.beat()

    async def share_secret(self, name: str, mine: bytes) -> bytes:
        """The cluster's secret of this name: `mine` if no node set one before.

        Kept in Redis, which the nodes already trust with everything (leases,
        commands, the relay's keys). Until Redis answers, `mine` is used; when
        it comes back (perhaps empty) the node offers its secret again and
        takes whatever is there, so nodes that shared one before still do.
        """
        self._secrets.setdefault(name, mine)
        with contextlib.suppress(RedisDown):
            await self._agree(name)
        return self._secrets[name]

    def secret(self, name: str) -> bytes:
        """The shared secret as last agreed (share_secret first)."""
        return self._secrets[name]

    async def _agree(self, name: str) -> None:
        key = self.keys.secret(name)
        offered = self._secrets[name]

        async def set_or_get(client: Redis) -> bytes | str | None:
            await client.set(key, offered, nx=True)
            got: bytes | str | None = await client.get(key)
            return got

        agreed = await self.link.call(set_or_get)
        if isinstance(agreed, bytes) and agreed:
            self._secrets[name] = agreed

    # -- the Cluster interface ------------------------------------------------------

    async def nodes(self) -> list[NodeInfo]:
        try:
            return await self._registry.alive()
        except RedisDown as exc:
            raise Unavailable(str(exc)) from exc

    async def acquire(
        self, room_id: str, *, floor: int = 0, on_state: StateListener | None = None
    ) -> Lease | None:
        return await self.keeper.acquire(room_id, floor, on_state)

    def lease(self, room_id: str) -> Lease | None:
        return self.keeper.get(room_id)

    async def holder(self, room_id: str) -> Holder | None:
        try:
            return await self._forwarder.holder(room_id)
        except RedisDown as exc:
            raise Unavailable(str(exc)) from exc

    async def lease_left(self, room_id: str) -> float | None:
        key = self.keys.room(room_id).lease
        try:
            left = await self.link.call(lambda client: client.pttl(key))
        except RedisDown as exc:
            raise Unavailable(str(exc)) from exc
        # -2: no such key; -1 (no expiry) never happens to a lease.
        return None if int(left) == -2 else math.inf if int(left) < 0 else int(left) / 1000

    def serve(self, handler: RequestHandler) -> None:
        self._server.handler = handler

    async def forward(self, room_id: str, body: bytes, *, timeout: float | None = None) -> bytes:
        return await self._forwarder.forward(room_id, body, timeout)

    async def subscribe(self, room_id: str, listener: RoomListener) -> None:
        await self._bus.subscribe(room_id, listener)

    async def unsubscribe(self, room_id: str) -> None:
        await self._bus.unsubscribe(room_id)
        await self.subscriber.remove(self.keys.room(room_id).replies(self.node_id))

    async def restore(self, room_id: str) -> VolatileRoom | None:
        try:
            return await directory.restore(self.link, self.keys, room_id)
        except RedisDown as exc:
            raise Unavailable(str(exc)) from exc

    async def directory(self) -> list[RoomListing]:
        try:
            return await directory.directory(self.link, self.keys)
        except RedisDown as exc:
            raise Unavailable(str(exc)) from exc

    async def orphans(self) -> list[str]:
        """Listed rooms that nobody holds: their origin died, a takeover is due."""
        return [listing.room_id for listing in await self.directory() if listing.origin is None]

    # -- for tests and metrics ----------------------------------------------------------

    @property
    def keeper(self) -> LeaseKeeper:
        if self._keeper is None:
            raise RuntimeError("ClusterNode.start() first")
        return self._keeper

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("ClusterNode.start() first")
        return self._writer

    @property
    def events_received(self) -> int:
        return self._bus.received

    @property
    def requests_handled(self) -> int:
        return self._server.handled

    # -- internals -------------------------------------------------------------------

    def _info(self) -> NodeInfo:
        return NodeInfo(
            node_id=self.node_id,
            name=self.config.name,
            url=self.config.url,
            started_at=self._started_at,
            rooms=len(self._keeper.held) if self._keeper else 0,
            load=self._load(),
            http=self.config.http_url,
        )

    def _lease_of(self, room_id: str) -> RedisLease | None:
        return self._keeper.get(room_id) if self._keeper else None

    def _local_handler(self, room_id: str) -> RequestHandler | None:
        lease = self._lease_of(room_id)
        if lease is None or not lease.active:
            return None
        return self._server.handler

    def _newer_epoch(self, room_id: str, epoch: int) -> None:
        if self._keeper is not None:
            self._keeper.newer_epoch(room_id, epoch)

    def _fenced(self, room_id: str) -> None:
        self.keeper.fenced(room_id)

    def _unsent(self, room_id: str) -> None:
        self.keeper.unsent(room_id)

    async def _resync(self) -> None:
        """Redis is back (perhaps empty): beat, renew now, rewrite what it may have lost."""
        await self._registry.beat()
        await self.keeper.renew_all()
        for name in list(self._secrets):
            with contextlib.suppress(RedisDown):
                await self._agree(name)
        for lease in self.keeper.held.values():
            if lease.dirty:
                lease.rewrite()


async def _guarded(name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a background loop; a bug in it is logged and the loop starts again."""
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("cluster task %s failed; starting it again", name)
            await asyncio.sleep(1.0)
