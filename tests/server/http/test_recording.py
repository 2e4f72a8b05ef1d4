"""Recording through the real server: refusals, the room's end, restarts, metadata."""

import asyncio
from pathlib import Path

import aiohttp
import pytest

from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.protocol.events import RecordingChanged, RoomEnded
from app.protocol.model import Role
from app.protocol.replies import RecordingList, RoomList
from app.protocol.requests import (
    AcceptInvite,
    EndRoom,
    InviteToStage,
    ListRecordings,
    ListRooms,
    MakeCohost,
    SetRecording,
)
from app.server.app import RunningServer, start_server
from app.server.main import parse_args
from app.server.recording_shell import default_directory
from app.server.store import open_store

from .conftest import ClientFactory, config_for
from .test_continuity import client_for


async def _recordings(client: RoomClient) -> RecordingList:
    return await client.conn.call_for(ListRecordings(), RecordingList)


async def _refused(client: RoomClient, on: bool) -> RequestFailed:
    with pytest.raises(RequestFailed) as info:
        await client.request(SetRecording(on=on))
    return info.value


async def test_without_media_recording_is_refused_clearly(sqlite_url: str, tmp_path: Path) -> None:
    server = await start_server(config_for(sqlite_url, media=False))
    host = await client_for(server.url, "host", reconnect=False)
    listener = await client_for(server.url, "listener", reconnect=False)
    try:
        room = await host.create_room("Signaling only")
        await listener.join(room.room_id)
        # The permission gate comes first: a listener learns nothing about media.
        assert (await _refused(listener, True)).code == "forbidden"
        refusal = await _refused(host, True)
        assert refusal.code == "recording_unavailable" and "--no-media" in refusal.message
        assert host.model is not None and not host.model.recording
        assert (await _recordings(host)).recordings == []
        assert not (tmp_path / "recordings").exists()
    finally:
        await host.close()
        await listener.close()
        await server.stop()


async def test_an_unwritable_directory_is_refused_and_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "taken"
    not_a_dir.write_text("a file where the directory should be")
    server = await start_server(config_for(sqlite_url, recordings_dir=not_a_dir / "recordings"))
    host = await client_for(server.url, "host", reconnect=False)
    try:
        await host.create_room("Nowhere to write")
        refusal = await _refused(host, True)
        assert refusal.code == "recording_unavailable"
        assert str(not_a_dir) in refusal.message
        assert host.model is not None and not host.model.recording and host.model.seq == 0
        assert (await _recordings(host)).recordings == []
    finally:
        await host.close()
        await server.stop()


async def _cohost(host: RoomClient, guest: RoomClient) -> None:
    await host.request(InviteToStage(user_id=guest.user_id))
    await guest.wait_until(lambda m: m.members[guest.user_id].invited)
    await guest.request(AcceptInvite())
    await host.request(MakeCohost(user_id=guest.user_id))
    await guest.wait_until(lambda m: m.role_of(guest.user_id) == Role.COHOST)


async def test_a_cohost_records_and_the_end_of_the_room_finishes_it(
    db_url: str, tmp_path: Path
) -> None:
    server = await start_server(config_for(db_url, recordings_dir=tmp_path / "rec"))
    host = await client_for(server.url, "host", reconnect=False)
    cohost = await client_for(server.url, "cohost", reconnect=False)
    listener = await client_for(server.url, "listener", reconnect=False)
    heard: list[object] = []
    try:
        room = await host.create_room("Town hall")
        await cohost.join(room.room_id)
        await listener.join(room.room_id)
        listener.event_hooks.append(heard.append)
        await _cohost(host, cohost)
        await cohost.request(SetRecording(on=True))
        await listener.wait_until(lambda m: m.recording)
        assert RecordingChanged(recording=True, by=cohost.user_id) in heard
        rooms = await listener.conn.call_for(ListRooms(), RoomList)
        assert [r.recording for r in rooms.rooms] == [True]
        await host.request(EndRoom())
        await listener.wait_until(lambda m: not m.live)
        assert heard[-2:] == [
            RecordingChanged(recording=False, reason="room_ended"),
            RoomEnded(reason="ended_by_host"),
        ]
        await _until_finished(host)
        # Both the co-host who started it and the room's host may fetch it.
        (info,) = (await _recordings(cohost)).recordings
        assert (await _recordings(host)).recordings == [info]
        assert info.bytes > 0 and (tmp_path / "rec" / f"1-{room.room_id}.ogg").is_file()
        assert await _status(server, info.recording_id, host.token) == 200
        assert await _status(server, info.recording_id, cohost.token) == 200
        assert await _status(server, info.recording_id, listener.token) == 404
    finally:
        for client in (host, cohost, listener):
            await client.close()
        await server.stop()


async def _until_finished(client: RoomClient) -> None:
    for _ in range(100):
        listed = (await _recordings(client)).recordings
        if listed and all(r.ended_at is not None for r in listed):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the recording was never finished")


async def _status(server: RunningServer, recording_id: int, token: str | None) -> int:
    async with aiohttp.ClientSession() as http:
        url = f"{server.http_url}/recordings/{recording_id}"
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            await response.read()
            return response.status


async def test_stopping_the_server_finishes_recordings(
    make_client: ClientFactory, server: RunningServer
) -> None:
    host = await make_client("host")
    await host.create_room("Until closing time")
    await host.request(SetRecording(on=True))
    await server.hub.close()  # what stop() does before it releases the store
    (info,) = (await _recordings(host)).recordings
    assert info.ended_at is not None and info.bytes > 0


async def test_after_a_restart_recording_is_off_and_the_interrupted_one_closed(
    db_url: str, tmp_path: Path
) -> None:
    config = config_for(db_url, recordings_dir=tmp_path / "rec")
    server = await start_server(config)
    host = await client_for(server.url, "host", reconnect=False)
    room = await host.create_room("Crashed")
    token = host.token
    await host.close()
    await server.stop()
    # As if the server had died mid-recording: a row with no end, a file on disk.
    store = await open_store(db_url)
    try:
        record = await store.create_recording(
            host.user_id, host.user_id, room.room_id, "Crashed", 1.0, lambda i: f"{i}.ogg"
        )
    finally:
        await store.close()
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / record.file_name).write_bytes(b"OggS" + bytes(100))

    server = await start_server(config)
    back = RoomClient(server.url, client_name="test", reconnect=False)
    try:
        await back.connect()
        assert token is not None
        await back.resume(token)
        model = await back.join(room.room_id)
        assert not model.recording
        # The room's first event after the restart said that recording stopped.
        assert model.seq >= 2
        (info,) = (await _recordings(back)).recordings
        assert info.ended_at is not None and info.bytes == 104
    finally:
        await back.close()
        await server.stop()


def test_where_recordings_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert (
        default_directory(f"sqlite:///{tmp_path / 'x' / 'p.db'}") == tmp_path / "x" / "recordings"
    )
    in_data_dir = tmp_path / "data" / "panggung" / "recordings"
    assert default_directory("postgresql://u@localhost:5432/db") == in_data_dir
    assert default_directory("sqlite:///:memory:") == in_data_dir
    assert parse_args(["--recordings", "/srv/rec"]).recordings == Path("/srv/rec")
    assert parse_args([]).recordings is None
