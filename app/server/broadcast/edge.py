"""Serving a room's HLS on a node that is not its origin (docs/cluster.md).

The edge fetches from the origin over the nodes' own HTTP: the room's lease
holder (Redis) names the node, the registry its `http` address. Public
answers are shared: concurrent requests for one file make one origin fetch
(`SingleFlight`) and the answer is kept (`EdgeCache`) as long as its origin's
Cache-Control allows, so one origin request per file serves any number of
listeners on this node. An invite-only room's requests are never shared
between users: the edge checks the token's signature itself (the cluster's
secret) and passes the request on to the origin, which checks the member
against the room (membership, bans) as for its own listeners, every time.

The origin unreachable is a 503 with Retry-After, within a bounded wait;
after a takeover the next fetch goes to the new origin.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

import aiohttp

from app.server.broadcast.edge_cache import (
    EdgeCache,
    Fetched,
    SingleFlight,
    freshness,
    rest_of_second,
)
from app.server.broadcast.streams import PLAYLIST
from app.server.broadcast.tokens import StreamTokens
from app.server.cluster.api import Cluster, Unavailable

log = logging.getLogger(__name__)

# The origin's first playlist waits up to 5 s for its writer's first segment.
PLAYLIST_TIMEOUT = 8.0
FILE_TIMEOUT = 4.0
NODES_FRESH = 1.0  # seconds the registry's addresses are reused
MAX_REMEMBERED = 10_000  # rooms whose origin's address is remembered
NOT_FOUND_KEPT = 1.0  # a public 404 (unknown room, a segment gone) is shared this long
# Passed on from the origin's answer; the rest (Date, Server, ...) are the edge's own.
PASSED_ON = (
    "Content-Type",
    "Cache-Control",
    "ETag",
    "Last-Modified",
    "Access-Control-Allow-Origin",
    "Retry-After",
)


TEXT = "text/plain; charset=utf-8"


def unavailable(reason: str, retry_after: int = 1) -> Fetched:
    return Fetched(503, reason.encode(), {"Content-Type": TEXT, "Retry-After": str(retry_after)})


NOT_FOUND = Fetched(404, b"no such broadcast", {"Content-Type": TEXT})


class OriginDown(Exception):
    def __init__(self, reason: str, retry_after: int = 1) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Origins:
    """Where a room's origin serves HTTP now."""

    def __init__(
        self,
        cluster: Cluster,
        listed: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cluster = cluster
        self._listed = listed
        self._clock = clock
        self._http: dict[str, str] = {}
        self._read_at = -NODES_FRESH
        # room -> its origin's address as last found: while Redis is away the
        # origin goes on writing (it keeps its rooms' sound), so edges go on too.
        self._last: dict[str, str] = {}

    async def base_of(self, room_id: str) -> str | None:
        """The origin's HTTP base URL; None if no such room. OriginDown if it has
        none reachable now (between origins, Redis away, an old node)."""
        try:
            holder = await self._cluster.holder(room_id)
        except Unavailable as exc:
            last = self._last.get(room_id)
            if last is not None:
                return last
            raise OriginDown(f"the cluster is unreachable: {exc}", 2) from None
        if holder is None:
            self._last.pop(room_id, None)
            if self._listed(room_id):  # listed, nobody holds it: a takeover is due
                raise OriginDown("the room is moving to another node; try again")
            return None
        if holder.node_id == self._cluster.node_id:  # taking it over right now
            raise OriginDown("the room is starting here; try again")
        base = self._http.get(holder.node_id)
        if base is None or self._clock() - self._read_at > NODES_FRESH:
            try:
                nodes = await self._cluster.nodes()
            except Unavailable as exc:
                raise OriginDown(f"the cluster is unreachable: {exc}", 2) from None
            self._http = {node.node_id: node.http for node in nodes if node.http}
            self._read_at = self._clock()
            base = self._http.get(holder.node_id)
        if base is None:
            raise OriginDown("the room's origin is gone; try again")
        if len(self._last) >= MAX_REMEMBERED and room_id not in self._last:
            self._last.clear()  # rooms come and go; the next fetch finds each again
        self._last[room_id] = base
        return base


class EdgeStreams:
    def __init__(
        self,
        origins: Origins,
        tokens: StreamTokens,
        cache: EdgeCache | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._origins = origins
        self._tokens = tokens
        self.cache = cache or EdgeCache()
        self._clock = clock
        self._wall_clock = wall_clock
        self._public: SingleFlight[tuple[str, str], Fetched] = SingleFlight()
        self._private: SingleFlight[tuple[str, str, str, str], Fetched] = SingleFlight()
        self._http: aiohttp.ClientSession | None = None
        self.origin_requests = 0  # fetches this edge sent to origins

    async def serve(
        self, room_id: str, name: str, token: str | None, if_none_match: str
    ) -> Fetched:
        """The answer to GET /hls/ROOM/[t/TOKEN/]NAME here (the caller turns a
        public answer into a 304 when its ETag matches)."""
        if token is not None:
            if self._tokens.verify(room_id, token, self._wall_clock()) is None:
                return NOT_FOUND  # forged, another room's, expired: the origin need not ask
            path = f"/hls/{room_id}/t/{token}/{name}"
            headers = {"If-None-Match": if_none_match} if if_none_match else {}
            key = (room_id, token, name, if_none_match)
            return await self._private.run(key, lambda: self._fetch(room_id, name, path, headers))
        now = self._clock()
        if name == PLAYLIST:
            self.cache.asked(room_id, now)
        cached = self.cache.get(room_id, name, now)
        if cached is not None:
            return cached
        return await self._public.run((room_id, name), lambda: self._fill(room_id, name))

    async def _fill(self, room_id: str, name: str) -> Fetched:
        fetched = await self._fetch(room_id, name, f"/hls/{room_id}/{name}", {})
        if fetched.status == 200:
            keep = freshness(fetched.headers.get("Cache-Control", ""))
            if keep is not None and name == PLAYLIST:
                keep = min(keep, rest_of_second(self._wall_clock()))
            if keep is not None:
                self.cache.put(room_id, name, fetched, keep, self._clock())
        elif fetched.status == 404:
            self.cache.put(room_id, name, fetched, NOT_FOUND_KEPT, self._clock())
        return fetched

    async def _fetch(
        self, room_id: str, name: str, path: str, headers: Mapping[str, str]
    ) -> Fetched:
        try:
            base = await self._origins.base_of(room_id)
        except OriginDown as exc:
            return unavailable(str(exc), exc.retry_after)
        if base is None:
            return NOT_FOUND
        timeout = PLAYLIST_TIMEOUT if name == PLAYLIST else FILE_TIMEOUT
        self.origin_requests += 1
        try:
            async with self._session().get(
                base + path,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                body = await response.read()
                kept = {h: response.headers[h] for h in PASSED_ON if h in response.headers}
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.info("room %s: origin %s did not answer for %s: %r", room_id, base, name, exc)
            return unavailable("the room's origin does not answer; try again")
        if status not in (200, 304, 404, 503):  # nothing else is the origin's to pass on
            log.warning("room %s: its origin answered %d for %s", room_id, status, name)
            return unavailable("the room's origin failed; try again")
        return Fetched(status, body, kept)

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # One connection pool for every origin; no cookies, nothing of a user's.
            self._http = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                connector=aiohttp.TCPConnector(limit=64, limit_per_host=16),
            )
        return self._http

    async def close(self) -> None:
        await self._public.close()
        await self._private.close()
        if self._http is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._http.close(), 5.0)
