"""Replays a user may play: list them, ask for a link, change or delete one
(the host), fetch one (or part of it) to a file. Shared by the desktop app
and panggung-bot; knows nothing of Qt.

A link is a path on the server's HTTP address with a signed token that
`open_replay` hands out; the player (app/media/client/replay.py) streams it
with seeking, and `fetch` saves it. Failures are `RecordingError`s, like the
recordings' downloads, so that a window can say what happened in its own
language.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from app.client.connection import ConnectionLost, RequestFailed
from app.client.recordings import TIMEOUT, Problem, RecordingError, save_body
from app.client.session import RoomClient
from app.protocol.model import ReplayChoice, ReplayInfo
from app.protocol.replies import ReplayList, ReplayStream
from app.protocol.requests import ListReplays, OpenReplay, SetReplay

R = TypeVar("R", ReplayList, ReplayStream)
_BY_STATUS = {404: Problem.NOT_FOUND, 410: Problem.GONE}


async def list_replays(client: RoomClient) -> list[ReplayInfo]:
    """The replays this user may play, newest first (RecordingError on failure)."""
    return (await _call(client, ListReplays(), ReplayList)).replays


async def open_replay(client: RoomClient, recording_id: int) -> tuple[str, ReplayStream]:
    """The replay's full HTTP URL (token included) and the server's answer."""
    stream = await _call(client, OpenReplay(recording_id=recording_id), ReplayStream)
    return http_url(client.url, stream.url), stream


async def set_replay(client: RoomClient, recording_id: int, choice: ReplayChoice) -> None:
    """The host: make it public or private, or delete it."""
    try:
        await client.request(SetReplay(recording_id=recording_id, replay=choice))
    except RequestFailed as exc:
        raise _refused(exc) from exc
    except (ConnectionLost, OSError, TimeoutError) as exc:
        raise RecordingError(Problem.NETWORK, f"cannot reach the server: {exc!r}") from exc


async def fetch(
    client: RoomClient,
    recording_id: int,
    to: Path,
    byte_range: tuple[int, int | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Save the replay (or `byte_range`, first and last byte, last None for
    the end) to `to`; the bytes written."""
    url, _stream = await open_replay(client, recording_id)
    headers = {}
    if byte_range is not None:
        first, last = byte_range
        headers["Range"] = f"bytes={first}-{'' if last is None else last}"
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.get(url, headers=headers) as response,
        ):
            if response.status not in (200, 206):
                reason = (await response.text()).strip()
                raise RecordingError(
                    _BY_STATUS.get(response.status, Problem.SERVER),
                    f"replay {recording_id}: HTTP {response.status} {reason}",
                    response.status,
                    f"HTTP {response.status} {reason}".strip(),
                )
            return await save_body(response, to, progress)
    except (aiohttp.ClientError, TimeoutError) as exc:
        why = f"{type(exc).__name__}: {exc}".rstrip(": ")
        raise RecordingError(Problem.NETWORK, f"replay {recording_id}: {why}") from exc


def http_url(ws_url: str, path: str) -> str:
    """The server's HTTP address for `path`, from its WebSocket URL."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


async def _call(client: RoomClient, request: ListReplays | OpenReplay, kind: type[R]) -> R:
    try:
        return await client.conn.call_for(request, kind)
    except RequestFailed as exc:
        raise _refused(exc) from exc
    except (ConnectionLost, OSError, TimeoutError) as exc:
        raise RecordingError(Problem.NETWORK, f"cannot reach the server: {exc!r}") from exc


def _refused(exc: RequestFailed) -> RecordingError:
    why = exc.message or exc.code
    problem = Problem.NOT_FOUND if exc.code == "replay_not_found" else Problem.SERVER
    return RecordingError(problem, f"refused: {exc.code}: {why}", detail=why)
