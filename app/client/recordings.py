"""Recordings a user may download: list them over the WebSocket, fetch one
over HTTP. Shared by the desktop app and panggung-bot; knows nothing of Qt.

The file comes from the same server as the WebSocket (ws://HOST:PORT/ws ->
http://HOST:PORT/recordings/ID), authorised by the session token. Every way a
download can fail becomes a `RecordingError` with a `Problem`, so that a
window can say what happened in its own language without parsing messages.
"""

import contextlib
import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from app.client.connection import ConnectionLost, RequestFailed
from app.client.session import RoomClient
from app.protocol.model import RecordingInfo
from app.protocol.replies import RecordingList
from app.protocol.requests import ListRecordings

CHUNK = 64 * 1024
# No limit on the whole transfer (a long recording on a slow link is fine),
# only on a server that stops answering.
TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=15, sock_read=60)
# What Windows, macOS or Linux refuse in a file name, and control characters.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


class Problem(StrEnum):
    NOT_SIGNED_IN = "not_signed_in"
    UNAUTHORIZED = "unauthorized"  # 401: the session token no longer works
    NOT_FOUND = "not_found"  # 404: no such recording, or not ours (alike on purpose)
    IN_PROGRESS = "in_progress"  # 409: still being recorded
    GONE = "gone"  # 410: its file is gone from the server's disk
    SERVER = "server"  # any other answer from the server
    NETWORK = "network"  # the server could not be reached, or the transfer broke
    DISK = "disk"  # the file could not be written here


class RecordingError(Exception):
    """A listing or download that failed: `str()` is a plain English sentence,
    `detail` the part a window shows after its own words for `problem`."""

    def __init__(
        self, problem: Problem, message: str, status: int | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.status = status
        self.detail = detail or message


_BY_STATUS = {
    401: Problem.UNAUTHORIZED,
    404: Problem.NOT_FOUND,
    409: Problem.IN_PROGRESS,
    410: Problem.GONE,
}


async def list_recordings(client: RoomClient) -> list[RecordingInfo]:
    """The recordings this user may download, newest first (errors as the
    connection raises them)."""
    return (await client.conn.call_for(ListRecordings(), RecordingList)).recordings


async def fetch_list(client: RoomClient) -> list[RecordingInfo]:
    """`list_recordings`, with every failure as a RecordingError."""
    try:
        return await list_recordings(client)
    except RequestFailed as exc:
        why = exc.message or exc.code
        raise RecordingError(
            Problem.SERVER, f"listing refused: {exc.code}: {why}", detail=why
        ) from exc
    except (ConnectionLost, OSError, TimeoutError) as exc:
        raise RecordingError(Problem.NETWORK, f"cannot reach the server: {exc!r}") from exc


def download_url(ws_url: str, recording_id: int) -> str:
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, f"/recordings/{recording_id}", "", ""))


async def download(
    client: RoomClient,
    recording_id: int,
    to: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write recording `recording_id` to `to`; returns its size in bytes.
    `progress` gets the bytes written so far after each chunk."""
    if client.token is None:
        raise RecordingError(Problem.NOT_SIGNED_IN, "not signed in")
    headers = {"Authorization": f"Bearer {client.token}"}
    url = download_url(client.url, recording_id)
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.get(url, headers=headers) as response,
        ):
            if response.status != 200:
                reason = (await response.text()).strip()
                raise RecordingError(
                    _BY_STATUS.get(response.status, Problem.SERVER),
                    f"recording {recording_id}: HTTP {response.status} {reason}",
                    response.status,
                    f"HTTP {response.status} {reason}".strip(),
                )
            return await save_body(response, to, progress)
    except (aiohttp.ClientError, TimeoutError) as exc:
        why = f"{type(exc).__name__}: {exc}".rstrip(": ")
        raise RecordingError(Problem.NETWORK, f"recording {recording_id}: {why}") from exc


async def save_body(
    response: aiohttp.ClientResponse, to: Path, progress: Callable[[int], None] | None
) -> int:
    # A side file in the same folder, renamed at the end: a cut download never
    # looks complete, and the rename cannot cross file systems.
    partial = to.with_name(to.name + ".part")
    size = 0
    try:
        with partial.open("wb") as out:
            async for chunk in response.content.iter_chunked(CHUNK):
                out.write(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(size)
        partial.replace(to)
    except BaseException as exc:  # cancelled too: no side file left behind
        with contextlib.suppress(OSError):
            partial.unlink()
        # Writing, flushing or renaming; aiohttp's own OSErrors are the network's.
        if isinstance(exc, OSError) and not isinstance(exc, aiohttp.ClientError):
            raise _disk(to, exc) from exc
        raise
    return size


def _disk(to: Path, exc: OSError) -> RecordingError:
    why = exc.strerror or str(exc)
    return RecordingError(Problem.DISK, f"cannot write {to}: {why}", detail=f"{to}: {why}")


def suggested_file_name(info: RecordingInfo) -> str:
    """A file name for saving: the room's title and when it started (local
    time), safe on every desktop OS, e.g. "Kopi pagi 2026-11-21 09-30.ogg"."""
    title = _UNSAFE.sub(" ", info.room_title)
    title = " ".join(title.split()).strip(". ")[:80] or f"recording-{info.recording_id}"
    when = datetime.fromtimestamp(info.started_at).strftime("%Y-%m-%d %H-%M")
    return f"{title} {when}.ogg"
