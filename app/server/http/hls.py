"""GET /hls/ROOM/index.m3u8 and its segments: the broadcast tier over HTTP.

Cache headers are for a CDN or nginx in front (docs/cluster.md): the live
playlist changes every segment, so it may be cached for one second, and
nginx is told to keep it only to the end of the current wall-clock second
(`X-Accel-Expires: @T`; nginx keeps `max-age=1` for one to two seconds,
its clock being whole seconds), just after which the writer's next segment
is listed (app/media/server/hls_phase.py); a
segment or init section never changes under its name (the writer's run id
is in it), so it may be cached for a year. An invite-only room's stream
(`/hls/ROOM/t/TOKEN/...`) is `private`: a shared cache never stores it, so
every request comes here and is checked. Unknown rooms, private rooms
without a valid token and files that are not (or no longer) there are all
the same 404.

On a node that is not the room's origin, an `EdgeStreams` (in a cluster)
answers instead, from the origin (app/server/broadcast/edge.py), with the
same headers.

Only names of the writer's own shape reach the disk (the route's pattern),
inside the room's directory, so no request can name another path.
"""

import asyncio
import hashlib
import os
import time
from email.utils import formatdate
from pathlib import Path

from aiohttp import web

from app.server.broadcast.edge import EdgeStreams
from app.server.broadcast.streams import PLAYLIST, Broadcasts, Unavailable
from app.server.broadcast.tokens import TOKEN_PATTERN

_ROOM = "[A-Za-z0-9_-]{1,64}"
_FILE = r"index\.m3u8|[0-9a-f]{8}-(?:init\.mp4|[0-9]{6}\.m4s)"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "audio/mp4"
PLAYLIST_MAX_AGE = 1  # seconds: about a segment; players poll it that often
SEGMENT_MAX_AGE = 365 * 24 * 3600


class HlsRoutes:
    def __init__(self, broadcasts: Broadcasts, edge: EdgeStreams | None = None) -> None:
        self._broadcasts = broadcasts
        # Set once the node is in a cluster (after listening): other nodes' rooms.
        self.edge = edge

    def install(self, app: web.Application) -> None:
        app.router.add_get(f"/hls/{{room_id:{_ROOM}}}/{{name:{_FILE}}}", self.public)
        app.router.add_get(
            f"/hls/{{room_id:{_ROOM}}}/t/{{token:{TOKEN_PATTERN}}}/{{name:{_FILE}}}",
            self.invited,
        )

    async def public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, None)

    async def invited(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, request.match_info["token"])

    async def _serve(self, request: web.Request, token: str | None) -> web.StreamResponse:
        response = await self._answer(request, token)
        if request.match_info["name"] == PLAYLIST and response.status in (200, 304):
            response.headers["X-Accel-Expires"] = f"@{int(time.time())}"
        return response

    async def _answer(self, request: web.Request, token: str | None) -> web.StreamResponse:
        room_id, name = request.match_info["room_id"], request.match_info["name"]
        if self.edge is not None and not self._broadcasts.holds(room_id):
            return await self._from_origin(request, self.edge, room_id, name, token)
        room = self._broadcasts.visible_room(room_id, token)
        if room is None:
            raise web.HTTPNotFound(text="no such broadcast")
        scope = "public" if token is None else "private"
        if name == PLAYLIST:
            try:
                path = await self._broadcasts.playlist(room)
            except Unavailable as exc:
                raise web.HTTPServiceUnavailable(
                    text=str(exc), headers={"Retry-After": str(exc.retry_after)}
                ) from None
            cache = f"{scope}, max-age={PLAYLIST_MAX_AGE}"
            content_type = PLAYLIST_TYPE
        else:
            found = self._broadcasts.file(room_id, name)
            if found is None:
                raise web.HTTPNotFound(text="no such broadcast")
            path = found
            cache = f"{scope}, max-age={SEGMENT_MAX_AGE}, immutable"
            content_type = SEGMENT_TYPE
        try:
            body, mtime = await asyncio.to_thread(_read, path)
        except FileNotFoundError:  # fell out of the window, or not written yet
            raise web.HTTPNotFound(text="no such segment (any more)") from None
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = {
            "Cache-Control": cache,
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
        }
        if token is None:  # browsers' players (hls.js) fetch across origins
            headers["Access-Control-Allow-Origin"] = "*"
        if etag in _etags(request.headers.get("If-None-Match", "")):
            return web.Response(status=304, headers=headers)
        self._broadcasts.count(room_id, name)
        return web.Response(body=body, content_type=content_type, headers=headers)

    async def _from_origin(
        self, request: web.Request, edge: EdgeStreams, room_id: str, name: str, token: str | None
    ) -> web.StreamResponse:
        if_none_match = request.headers.get("If-None-Match", "")
        fetched = await edge.serve(room_id, name, token, if_none_match)
        headers = dict(fetched.headers)
        if fetched.status == 200 and token is None and fetched.etag in _etags(if_none_match):
            headers.pop("Content-Type", None)
            return web.Response(status=304, headers=headers)
        if fetched.status == 304:
            headers.pop("Content-Type", None)
            return web.Response(status=304, headers=headers)
        return web.Response(status=fetched.status, body=fetched.body, headers=headers)


def _read(path: Path) -> tuple[bytes, float]:
    with path.open("rb") as file:
        return file.read(), os.fstat(file.fileno()).st_mtime


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
