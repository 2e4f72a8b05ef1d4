"""GET and HEAD /replays/ID/t/TOKEN/replay.ogg: a replay's file, with seeking.

The token is the short-lived signed link `open_replay` hands out (the
broadcast tier's signer, in its own scope); on every request the server also
asks the permission module again, so a replay made private or deleted stops
playing at once. Unknown ids, forged, expired or someone else's tokens, and
replays the bearer may no longer play are all the same 404. The URL carries
only the id: the file name comes from the database, so no path from a
client reaches the disk.

Range requests (206 with Content-Range, 416 for a range outside the file),
HEAD and If-Range are aiohttp's FileResponse: players seek by asking for the
bytes from some offset on.
"""

from aiohttp import web

from app.server.broadcast.tokens import TOKEN_PATTERN
from app.server.http.downloads import MAX_RECORDING_ID
from app.server.replays import FILE_NAME, Replays
from app.server.store.api import StoreError

_ID = "[1-9][0-9]{0,9}"


class ReplayRoutes:
    def __init__(self, replays: Replays) -> None:
        self._replays = replays

    def install(self, app: web.Application) -> None:
        # add_get answers HEAD too.
        app.router.add_get(
            f"/replays/{{recording_id:{_ID}}}/t/{{token:{TOKEN_PATTERN}}}/{FILE_NAME}",
            self.replay,
        )

    async def replay(self, request: web.Request) -> web.StreamResponse:
        recording_id = int(request.match_info["recording_id"])
        user_id = (
            self._replays.verify(recording_id, request.match_info["token"])
            if recording_id <= MAX_RECORDING_ID
            else None
        )
        if user_id is None:
            raise web.HTTPNotFound(text="no such replay")
        try:
            record = await self._replays.playable(user_id, recording_id)
        except StoreError:
            raise web.HTTPServiceUnavailable(text="storage is unavailable; try again") from None
        if record is None:
            raise web.HTTPNotFound(text="no such replay")
        path = self._replays.path_of(record)
        if not path.is_file():
            raise web.HTTPGone(text="the replay's file is gone from the server")
        return web.FileResponse(
            path,
            headers={
                "Content-Type": "audio/ogg",
                # Per person and checked every time: no shared cache keeps it.
                "Cache-Control": "private, no-cache",
            },
        )
