"""GET /recordings/{id}: a recording's file, for its owner and the room's host.

Authorised by the session token the WebSocket signs in with, sent as
`Authorization: Bearer TOKEN`. The URL carries only the numeric id; the file
name comes from the database, so no path from a client ever reaches the disk.
A recording that does not exist and one that is someone else's get the same
404, so that nobody learns which ids exist.
"""

import re

from aiohttp import web

from app.protocol.requests import MAX_USER_ID
from app.server.accounts import AccountError, Accounts
from app.server.recording_shell import Recordings
from app.server.store.api import StoreError

_BEARER = re.compile(r"Bearer\s+(\S+)\s*", re.IGNORECASE)
# Plain ASCII decimal without leading zeros: one id, one URL. (`\d` would
# also take other scripts' digits, e.g. an Arabic-Indic one for 1.)
_ID = "[1-9][0-9]{0,9}"
# Recording ids are 32-bit columns, like user ids.
MAX_RECORDING_ID = MAX_USER_ID


class Downloads:
    def __init__(self, accounts: Accounts, recordings: Recordings) -> None:
        self._accounts = accounts
        self._recordings = recordings

    def install(self, app: web.Application) -> None:
        app.router.add_get(f"/recordings/{{recording_id:{_ID}}}", self.recording)

    async def recording(self, request: web.Request) -> web.StreamResponse:
        found = _BEARER.fullmatch(request.headers.get("Authorization", ""))
        if found is None:
            raise _unauthorized("send Authorization: Bearer <session token>")
        recording_id = int(request.match_info["recording_id"])
        try:
            signed = await self._accounts.resume(found.group(1))
            record = (
                await self._recordings.find_for(signed.user_id, recording_id)
                if recording_id <= MAX_RECORDING_ID
                else None
            )
        except AccountError as exc:
            raise _unauthorized(exc.message) from None
        except StoreError:
            raise web.HTTPServiceUnavailable(text="storage is unavailable; try again") from None
        if record is None:
            raise web.HTTPNotFound(text="no such recording")
        if record.ended_at is None:
            raise web.HTTPConflict(text="still recording; stop it first")
        path = self._recordings.path_of(record)
        if not path.is_file():
            raise web.HTTPGone(text="the recording's file is gone")
        return web.FileResponse(
            path,
            headers={
                "Content-Type": "audio/ogg",
                "Content-Disposition": f'attachment; filename="{record.file_name}"',
            },
        )


def _unauthorized(text: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(text=text, headers={"WWW-Authenticate": "Bearer"})
