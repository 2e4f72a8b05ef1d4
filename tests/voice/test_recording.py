"""Recording a live room end to end: a speaker's tone, recorded by the host,
downloaded over HTTP with the session token, decoded and measured."""

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.dsp.analysis import peak_frequency, tone_power_ratio
from app.dsp.signals import ToneSource
from app.protocol.events import RecordingChanged
from app.protocol.replies import RecordingList
from app.protocol.requests import AcceptInvite, InviteToStage, ListRecordings, SetRecording
from app.server.app import RunningServer
from tests.support.disks import fill, free, ram_disks

from .helpers import PASSWORD, Member

TONE = 660.0


@dataclass
class Room:
    room_id: str
    host: RoomClient
    speaker: Member
    listener: RoomClient


async def _client(server: RunningServer, name: str) -> RoomClient:
    client = RoomClient(server.url, client_name="test")
    await client.connect()
    await client.register(name, PASSWORD)
    return client


@pytest.fixture
async def room(server: RunningServer) -> AsyncIterator[Room]:
    """A host (no audio), a speaker on stage saying 660 Hz with push-to-talk held, a listener."""
    host = await _client(server, "host")
    listener = await _client(server, "listener")
    speaker = await Member.sign_in(server.url, "speaker", ToneSource(TONE).next_frame)
    try:
        model = await host.create_room("Recorded")
        await speaker.client.join(model.room_id)
        await listener.join(model.room_id)
        await host.request(InviteToStage(user_id=speaker.user_id))
        await speaker.client.wait_until(lambda m: m.members[speaker.user_id].invited)
        await speaker.client.request(AcceptInvite())
        await speaker.start_audio()
        await speaker.link.press()
        yield Room(model.room_id, host, speaker, listener)
    finally:
        await speaker.close()
        await host.close()
        await listener.close()


async def _recordings(client: RoomClient) -> RecordingList:
    return await client.conn.call_for(ListRecordings(), RecordingList)


@dataclass
class Download:
    status: int
    headers: dict[str, str]
    body: bytes


async def _download(server: RunningServer, recording_id: int | str, token: str | None) -> Download:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as http:
        url = f"{server.http_url}/recordings/{recording_id}"
        async with http.get(url, headers=headers) as response:
            return Download(response.status, dict(response.headers), await response.read())


def _decode(data: bytes, tmp: Path) -> NDArray[np.float32]:
    path = tmp / "downloaded.ogg"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus" and stream.sample_rate == 48_000
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
    return np.concatenate(frames).astype(np.float32)


async def test_host_records_stops_downloads_and_hears_the_speaker(
    server: RunningServer, room: Room, tmp_path: Path
) -> None:
    await asyncio.sleep(0.5)  # the speaker's audio is flowing
    await room.host.request(SetRecording(on=True))
    for client in (room.host, room.listener, room.speaker.client):
        await client.wait_until(lambda m: m.recording)
    await asyncio.sleep(2.0)
    await room.host.request(SetRecording(on=False))
    await room.listener.wait_until(lambda m: not m.recording)

    # Stopped means stopped: the mixer no longer hands the recorder anything.
    plane = server.hub.voice.ensure_plane(room.room_id)
    assert vars(plane)["_audience_taps"] == []
    (info,) = (await _recordings(room.host)).recordings
    assert info.room_id == room.room_id and info.room_title == "Recorded"
    assert info.ended_at is not None and info.ended_at >= info.started_at
    assert 1.5 < info.duration < 3.5
    response = await _download(server, info.recording_id, room.host.token)
    assert response.status == 200
    assert response.headers["Content-Type"] == "audio/ogg"
    assert len(response.body) == info.bytes
    audio = _decode(response.body, tmp_path)
    seconds = len(audio) / 48_000
    assert 1.5 < seconds < 3.5, seconds
    assert abs(peak_frequency(audio) - TONE) < 3.0
    assert tone_power_ratio(audio, TONE) > 0.5


async def test_a_listener_can_neither_record_nor_download(
    server: RunningServer, room: Room
) -> None:
    with pytest.raises(RequestFailed) as refused:
        await room.listener.request(SetRecording(on=True))
    assert refused.value.code == "forbidden"
    assert room.listener.model is not None and not room.listener.model.recording

    await room.host.request(SetRecording(on=True))
    with pytest.raises(RequestFailed) as refused:
        await room.speaker.client.request(SetRecording(on=False))
    assert refused.value.code == "forbidden"
    await room.host.request(SetRecording(on=False))
    (info,) = (await _recordings(room.host)).recordings

    assert (await _recordings(room.listener)).recordings == []
    assert (await _recordings(room.speaker.client)).recordings == []
    # Someone else's recording and one that does not exist look alike.
    assert (await _download(server, info.recording_id, room.listener.token)).status == 404
    assert (await _download(server, info.recording_id + 1, room.host.token)).status == 404
    assert (await _download(server, info.recording_id, None)).status == 401
    assert (await _download(server, info.recording_id, "not-a-token")).status == 401
    # Only an id names a recording: no file name, no path gets through.
    for path in ("../voice.db", "..%2Fvoice.db", f"{info.recording_id}.ogg", "-1"):
        assert (await _download(server, path, room.host.token)).status == 404, path


async def test_a_full_disk_refuses_the_start_and_records_nothing(
    server: RunningServer, room: Room, tmp_path: Path
) -> None:
    # The next recording's file (named after its id and the room) is /dev/full.
    directory = tmp_path / "recordings"
    directory.mkdir(exist_ok=True)
    os.symlink("/dev/full", directory / f"1-{room.room_id}.ogg")
    with pytest.raises(RequestFailed) as refused:
        await room.host.request(SetRecording(on=True))
    assert refused.value.code == "recording_unavailable"
    assert "No space left on device" in refused.value.message
    assert room.host.model is not None and not room.host.model.recording
    assert (await _recordings(room.host)).recordings == []


async def test_a_disk_filling_up_stops_the_recording_with_a_reason(
    room: Room, server: RunningServer, tmp_path: Path
) -> None:
    with ram_disks(tmp_path) as mount:
        disk = mount("12m")
        server.hub.recordings.directory = disk
        with pytest.raises(RequestFailed) as refused:  # under 16 MiB free: not even started
            await room.host.request(SetRecording(on=True))
        assert refused.value.code == "recording_unavailable" and "full" in refused.value.message
        server.hub.recordings.min_free_bytes = 1024 * 1024
        changes: list[RecordingChanged] = []
        room.listener.event_hooks.append(
            lambda e: changes.append(e) if isinstance(e, RecordingChanged) else None
        )
        await room.host.request(SetRecording(on=True))
        await room.listener.wait_until(lambda m: m.recording)
        await asyncio.sleep(0.5)
        fill(disk)
        model = await room.listener.wait_until(lambda m: not m.recording)
        assert changes[-1].reason == "failed" and changes[-1].by is None
        assert changes[-1].detail == "No space left on device"
        assert model.live  # the room goes on
        # The file and its row are finished in the background, right after the
        # event, with the size the file really has.
        for _ in range(100):
            [info] = (await _recordings(room.host)).recordings
            if info.ended_at is not None:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the failed recording was never finished")
        file = disk / f"{info.recording_id}-{room.room_id}.ogg"
        assert info.bytes == file.stat().st_size > 0
        free(disk)
        # A moderator may try again (into a fresh file this time).
        await room.host.request(SetRecording(on=True))
        await room.listener.wait_until(lambda m: m.recording)
