"""Replays end to end against a real server: a speaker plays 440 Hz, then
990 Hz, into a recorded room; the host ends it and chooses what becomes of
the recording; the replay is fetched over HTTP with Range requests from the
middle and played with seeking, and the audio is checked at each position."""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.audio_backend import PullAudio
from app.client.connection import RequestFailed
from app.client.replay_shelf import ReplayShelf
from app.client.session import RoomClient
from app.dsp import SAMPLE_RATE
from app.dsp.analysis import peak_frequency, tone_power_ratio
from app.dsp.signals import ToneSource
from app.media.client.replay import ReplayPlayer
from app.protocol.model import ReplayChoice, ReplayInfo
from app.protocol.replies import InviteCreated, ReplayList, ReplayStream
from app.protocol.requests import (
    AcceptInvite,
    CreateInvite,
    EndRoom,
    InviteToStage,
    ListReplays,
    OpenReplay,
    SetRecording,
    SetReplay,
)
from app.server.app import RunningServer
from app.server.replays import Replays

from .helpers import PASSWORD, Member

FIRST, SECOND = 440.0, 990.0
FIRST_SECONDS, SECOND_SECONDS = 2.0, 2.5


@dataclass
class Ended:
    server: RunningServer
    host: RoomClient
    listener: RoomClient
    outsider: RoomClient
    info: ReplayInfo | None  # as the host lists it (None once deleted)
    recording_id: int
    file: Path


async def _client(server: RunningServer, name: str) -> RoomClient:
    client = RoomClient(server.url, client_name="test")
    await client.connect()
    await client.register(name, PASSWORD)
    return client


async def _replays(client: RoomClient) -> list[ReplayInfo]:
    return (await client.conn.call_for(ListReplays(), ReplayList)).replays


async def _open(client: RoomClient, recording_id: int) -> ReplayStream:
    return await client.conn.call_for(OpenReplay(recording_id=recording_id), ReplayStream)


async def _record_and_end(
    server: RunningServer, choice: ReplayChoice | None, invite_only: bool = False
) -> AsyncIterator[Ended]:
    host = await _client(server, "host")
    listener = await _client(server, "listener")
    outsider = await _client(server, "outsider")
    source = ToneSource(FIRST)
    speaker = await Member.sign_in(server.url, "speaker", source.next_frame)
    try:
        model = await host.create_room("Kopi pagi", invite_only=invite_only)
        code = None
        if invite_only:
            code = (await host.conn.call_for(CreateInvite(), InviteCreated)).code
        await speaker.client.join(model.room_id, code)
        await listener.join(model.room_id, code)
        await host.request(InviteToStage(user_id=speaker.user_id))
        await speaker.client.wait_until(lambda m: m.members[speaker.user_id].invited)
        await speaker.client.request(AcceptInvite())
        await speaker.start_audio()
        await speaker.link.press()
        await asyncio.sleep(0.5)  # the speaker's audio is flowing
        await host.request(SetRecording(on=True))
        await listener.wait_until(lambda m: m.recording)
        await asyncio.sleep(FIRST_SECONDS)
        source.freq = SECOND
        await asyncio.sleep(SECOND_SECONDS)
        recording_id = server.hub.recordings.active_id(model.room_id)
        assert recording_id is not None
        await host.request(EndRoom(replay=choice))
        record = await server.store.find_recording(recording_id)
        file = server.hub.recordings.directory / f"{recording_id}-{model.room_id}.ogg"
        listed = {r.recording_id: r for r in await _replays(host)}
        assert (record is None) == (choice == "deleted")
        yield Ended(server, host, listener, outsider, listed.get(recording_id), recording_id, file)
    finally:
        await speaker.close()
        for client in (host, listener, outsider):
            await client.close()


@pytest.fixture
async def public(server: RunningServer) -> AsyncIterator[Ended]:
    async for ended in _record_and_end(server, "public"):
        yield ended


@pytest.fixture
async def private(server: RunningServer) -> AsyncIterator[Ended]:
    async for ended in _record_and_end(server, None):
        yield ended


@dataclass
class Got:
    status: int
    headers: dict[str, str]
    body: bytes


async def _get(url: str, method: str = "GET", range_: str | None = None) -> Got:
    headers = {"Range": range_} if range_ is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, headers=headers) as response,
    ):
        return Got(response.status, dict(response.headers), await response.read())


def _pages(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, length, granule position) of each whole Ogg page in `data`."""
    pages, at = [], data.find(b"OggS")
    while at >= 0 and at + 27 <= len(data):
        segments = data[at + 26]
        length = 27 + segments + sum(data[at + 27 : at + 27 + segments])
        if at + length > len(data):
            break
        granule = int.from_bytes(data[at + 6 : at + 14], "little", signed=True)
        pages.append((at, length, granule))
        at = data.find(b"OggS", at + length)
    return pages


def _decode(data: bytes, tmp: Path, name: str) -> NDArray[np.float32]:
    path = tmp / name
    path.write_bytes(data)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
    return np.concatenate(frames).astype(np.float32)


def _url(server: RunningServer, stream: ReplayStream) -> str:
    return f"{server.http_url}{stream.url}"


async def test_a_public_replay_plays_from_a_range_in_its_middle(
    public: Ended, tmp_path: Path
) -> None:
    server, info = public.server, public.info
    assert info is not None and info.visibility == "public" and info.manage
    assert FIRST_SECONDS + SECOND_SECONDS - 1.0 < info.duration < 7.0
    # The room's audience sees it: a listener, and (an open room) anyone signed in.
    for client in (public.listener, public.outsider):
        (seen,) = await _replays(client)
        assert seen.recording_id == info.recording_id and not seen.manage
    stream = await _open(public.outsider, info.recording_id)
    url = _url(server, stream)
    assert stream.expires_at > time.time() + 600
    whole = public.file.read_bytes()

    head = await _get(url, "HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(whole))
    assert head.headers["Accept-Ranges"] == "bytes"
    assert head.headers["Content-Type"] == "audio/ogg"

    # From three quarters into the file to its end: a 206 of exactly those bytes.
    middle = len(whole) * 3 // 4
    part = await _get(url, range_=f"bytes={middle}-")
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes {middle}-{len(whole) - 1}/{len(whole)}"
    assert part.body == whole[middle:]
    # Decodable from its first whole page on, after the file's two header pages.
    start = await _get(url, range_="bytes=0-8191")
    assert start.status == 206
    tags_at, tags_len, _ = _pages(start.body)[1]  # after OpusHead: OpusTags
    headers = start.body[: tags_at + tags_len]
    pages = _pages(part.body)
    first_at, _, first_granule = pages[0]
    audio = _decode(headers + part.body[first_at:], tmp_path, "middle.ogg")
    # Where in the replay that page is (its granule ends it): in the second tone.
    at = first_granule / SAMPLE_RATE
    assert at > FIRST_SECONDS + 0.5, at
    assert abs(peak_frequency(audio) - SECOND) < 3.0
    assert tone_power_ratio(audio, SECOND) > 0.5
    # And the start of the replay is the first tone.
    opening = _decode(whole, tmp_path, "whole.ogg")[:SAMPLE_RATE]
    assert abs(peak_frequency(opening) - FIRST) < 3.0

    # A range outside the file: 416 saying how long it is.
    beyond = await _get(url, range_=f"bytes={len(whole) + 10}-")
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole)}"


async def test_the_player_seeks_where_asked(public: Ended) -> None:
    assert public.info is not None
    stream = await _open(public.listener, public.info.recording_id)
    player = ReplayPlayer(_url(public.server, stream), public.info.duration)
    player.start()
    try:
        for target, tone in ((3.5, SECOND), (0.5, FIRST), (3.0, SECOND)):
            player.seek(target)
            heard = await _play(player, 0.6)
            assert abs(player.position - (target + 0.6)) < 0.05, player.position
            assert abs(peak_frequency(heard) - tone) < 5.0, (target, peak_frequency(heard))
        # Paused: silence, and the position stands still.
        player.pause()
        stood = player.position
        assert not np.any(await _play(player, 0.2))
        assert player.position == stood
        player.resume()
        assert abs(peak_frequency(await _play(player, 0.4)) - SECOND) < 5.0
    finally:
        await asyncio.to_thread(player.close)


async def test_the_apps_shelf_renews_the_link_before_it_expires(public: Ended) -> None:
    replays = public.server.replays
    assert isinstance(replays, Replays) and public.info is not None
    replays.tokens.lifetime = 3.0
    shelf = ReplayShelf(PullAudio(), lambda: None, renew_before=2.0, min_renew_delay=0.2)
    player = await shelf.play(public.listener, public.recording_id)
    first = player.url
    try:
        deadline = time.monotonic() + 20
        while player.url == first or (await _get(first, "HEAD")).status != 404:
            assert time.monotonic() < deadline, "the first link never expired or was never renewed"
            await asyncio.sleep(0.2)
        # The first link is dead; a seek now opens the renewed one.
        player.seek(2.0)
        await asyncio.sleep(0.5)
        assert player.error is None
        assert (await _get(player.url, "HEAD")).status == 200
    finally:
        await shelf.stop()
    assert shelf.player is None


async def _play(player: ReplayPlayer, seconds: float) -> NDArray[np.float32]:
    """Pull `seconds` of audio as a device would, once the player has that much."""
    deadline = time.monotonic() + 20
    while not player.paused and player.queue.buffered_seconds < seconds + 0.1:
        assert time.monotonic() < deadline, player.error
        await asyncio.sleep(0.02)
    frames = [player.next_frame() for _ in range(round(seconds / 0.02))]
    return np.concatenate(frames).astype(np.float32)


async def test_a_private_replay_is_refused_to_the_audience_and_to_bad_tokens(
    private: Ended,
) -> None:
    server, info = private.server, private.info
    assert info is not None and info.visibility == "private"  # the default
    for client in (private.listener, private.outsider):
        assert await _replays(client) == []
        with pytest.raises(RequestFailed) as refused:
            await _open(client, info.recording_id)
        assert refused.value.code == "replay_not_found"
    # Asking for one that does not exist looks the same.
    with pytest.raises(RequestFailed) as refused:
        await _open(private.host, info.recording_id + 1)
    assert refused.value.code == "replay_not_found"

    stream = await _open(private.host, info.recording_id)
    assert (await _get(_url(server, stream), range_="bytes=0-99")).status == 206
    replays = server.replays
    assert isinstance(replays, Replays)
    base = f"{server.http_url}/replays/{info.recording_id}"
    token = stream.url.split("/t/")[1].split("/")[0]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    now = time.time()
    listener_id = private.listener.user_id
    for url in (
        f"{base}/replay.ogg",  # no token
        f"{base}/t/{forged}/replay.ogg",  # forged
        # Expired: signed long enough ago.
        f"{base}/t/{replays.tokens.issue(str(info.recording_id), 1, now - 86_400)}/replay.ogg",
        # Validly signed for the listener, who may not play it: checked per request.
        f"{base}/t/{replays.tokens.issue(str(info.recording_id), listener_id, now)}/replay.ogg",
        # The host's token for another id.
        f"{server.http_url}/replays/{info.recording_id + 1}/t/{token}/replay.ogg",
        # No path reaches the disk but the id's own file.
        f"{base}/t/{token}/..%2F..%2Fvoice0.db",
        f"{server.http_url}/replays/..%2Fvoice0.db",
    ):
        assert (await _get(url)).status == 404, url
    # Only the host may change it; made public, the listener may play it.
    with pytest.raises(RequestFailed) as refused:
        await private.listener.request(SetReplay(recording_id=info.recording_id, replay="public"))
    assert refused.value.code == "replay_not_found"
    await private.host.request(SetReplay(recording_id=info.recording_id, replay="public"))
    listened = await _open(private.listener, info.recording_id)
    assert (await _get(_url(server, listened), range_="bytes=0-99")).status == 206
    with pytest.raises(RequestFailed) as refused:
        await private.listener.request(SetReplay(recording_id=info.recording_id, replay="deleted"))
    assert refused.value.code == "forbidden"
    # Private again: the listener's link stops working at once.
    await private.host.request(SetReplay(recording_id=info.recording_id, replay="private"))
    assert (await _get(_url(server, listened))).status == 404

    # A missing file: a clear 410, and nothing else is lost.
    private.file.rename(private.file.with_suffix(".away"))
    gone = await _get(_url(server, stream))
    assert gone.status == 410 and "gone" in gone.body.decode()
    assert [r.recording_id for r in await _replays(private.host)] == [info.recording_id]
    private.file.with_suffix(".away").rename(private.file)

    # A file the server cannot remove (here a folder in its place): a clear
    # error, and the replay is kept whole for another try.
    private.file.rename(private.file.with_suffix(".away"))
    private.file.mkdir()
    with pytest.raises(RequestFailed) as refused:
        await private.host.request(SetReplay(recording_id=info.recording_id, replay="deleted"))
    assert refused.value.code == "unavailable" and "could not delete" in refused.value.message
    assert await server.store.find_recording(info.recording_id) is not None
    private.file.rmdir()
    private.file.with_suffix(".away").rename(private.file)
    await private.host.request(SetReplay(recording_id=info.recording_id, replay="deleted"))
    assert not private.file.exists()
    assert await server.store.find_recording(info.recording_id) is None


async def test_deleting_removes_the_file_and_the_row(server: RunningServer) -> None:
    async for ended in _record_and_end(server, "deleted"):
        assert ended.info is None
        assert not ended.file.exists()
        assert await server.store.find_recording(ended.recording_id) is None
        assert await _replays(ended.host) == []


async def test_an_invite_only_rooms_public_replay_is_for_those_who_were_in_it(
    server: RunningServer,
) -> None:
    async for ended in _record_and_end(server, "public", invite_only=True):
        assert ended.info is not None and ended.info.invite_only
        assert [r.recording_id for r in await _replays(ended.listener)] == [ended.recording_id]
        assert await _replays(ended.outsider) == []
        with pytest.raises(RequestFailed) as refused:
            await _open(ended.outsider, ended.recording_id)
        assert refused.value.code == "replay_not_found"
        # Deleted afterwards by its host: file and row go.
        await ended.host.request(SetReplay(recording_id=ended.recording_id, replay="deleted"))
        assert not ended.file.exists()
        assert await server.store.find_recording(ended.recording_id) is None
        assert await _replays(ended.listener) == []
