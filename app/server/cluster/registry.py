"""Which nodes are alive: heartbeats on Redis's clock, and the list clients get.

Each node beats every `heartbeat_interval`, from the lease renewal thread
(renewer.py: a busy loop must not make a live node look dead); the loop
refreshes what the beat carries. An entry that was not renewed within
`heartbeat_ttl` is dropped by the next reader. The list is what a client is
given to reconnect elsewhere when its node goes away.
"""

import asyncio
import logging
from collections.abc import Callable

import msgspec
from redis.asyncio import Redis

from app.server.cluster import scripts
from app.server.cluster.api import NodeInfo
from app.server.cluster.config import ClusterConfig
from app.server.cluster.keys import Keys
from app.server.cluster.link import RedisLink

log = logging.getLogger(__name__)
_decoder = msgspec.json.Decoder(NodeInfo)


class NodeRegistry:
    def __init__(
        self, link: RedisLink, keys: Keys, config: ClusterConfig, info: Callable[[], NodeInfo]
    ) -> None:
        self._link = link
        self._keys = keys
        self._config = config
        self._info = info

    def heartbeat(self) -> scripts.Call:
        me = self._info()
        return scripts.Call(
            scripts.HEARTBEAT,
            [self._keys.nodes, self._keys.node_info],
            [me.node_id, round(self._config.heartbeat_ttl * 1000), msgspec.json.encode(me)],
        )

    async def beat(self) -> None:
        """Beat now, from the loop (at start, and when Redis is back)."""
        call = self.heartbeat()
        await self._link.call(lambda client: scripts.run(client, call))

    async def run(self, post: Callable[[scripts.Call], None]) -> None:
        """Keep the heartbeat `post`ed to the thread that sends it up to date."""
        while True:
            try:
                post(self.heartbeat())
            except Exception:
                log.exception("node heartbeat failed")
            await asyncio.sleep(self._config.heartbeat_interval)

    async def alive(self) -> list[NodeInfo]:
        call = scripts.Call(scripts.ALIVE, [self._keys.nodes, self._keys.node_info], [])
        infos = await self._link.call(lambda client: scripts.run(client, call))
        nodes = [_decoder.decode(raw) for raw in infos if raw]
        return sorted(nodes, key=lambda n: n.node_id)

    async def leave(self, node_id: str) -> None:
        async def remove(client: Redis) -> None:
            pipe = client.pipeline(transaction=False)
            pipe.zrem(self._keys.nodes, node_id)
            pipe.hdel(self._keys.node_info, node_id)
            await pipe.execute()

        await self._link.call(remove)
