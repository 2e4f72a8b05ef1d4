"""Who gets which tier: past a node's live capacity a listener is sent to the
broadcast (`broadcast_only`), and `listen_broadcast` says where it plays; the
stage and a listener invited to it always get a live link."""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.protocol.replies import BroadcastStream, InviteCreated, MediaAnswer
from app.protocol.requests import Ban, CreateInvite, InviteToStage, ListenBroadcast, MediaOffer
from app.server.app import RunningServer, start_server
from app.server.broadcast.streams import BEHIND_SECONDS
from app.server.main import parse_args

from .conftest import ClientFactory, config_for
from .test_hls import get, speak

# Refused by the media plane when it gets that far: the tier is decided first.
NOT_SDP = "v=0 this is no offer"


@pytest.fixture
async def server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = config_for(sqlite_url, hls_dir=tmp_path / "hls", webrtc_capacity=0)
    running = await start_server(config)
    yield running
    await running.stop()


async def offer_code(client: RoomClient, sdp: str = NOT_SDP) -> str:
    with pytest.raises(RequestFailed) as refused:
        await client.conn.call_for(MediaOffer(sdp=sdp), MediaAnswer)
    return refused.value.code


async def test_a_full_node_sends_listeners_to_the_broadcast_but_not_the_stage(
    server: RunningServer, make_client: ClientFactory
) -> None:
    host, listener, invited = [await make_client(n) for n in ("host", "ear", "upcoming")]
    room = await host.create_room("Packed")
    await listener.join(room.room_id)
    await invited.join(room.room_id)

    assert await offer_code(listener) == "broadcast_only"
    # The stage passes the tier check (and then fails on the SDP, not on capacity).
    assert await offer_code(host) == "media_failed"
    # Invited: must hear the live room before going up, so it gets a live link.
    await host.request(InviteToStage(user_id=invited.user_id))
    assert await offer_code(invited) == "media_failed"

    stream = await listener.conn.call_for(ListenBroadcast(), BroadcastStream)
    assert stream.playlist == f"/hls/{room.room_id}/index.m3u8"
    assert stream.behind_seconds == BEHIND_SECONDS
    speak(server, room.room_id)
    async with aiohttp.ClientSession() as http:
        status, _, body = await get(http, f"{server.http_url}{stream.playlist}")
    assert status == 200 and body.startswith(b"#EXTM3U"), body


async def test_an_invite_only_rooms_broadcast_is_the_members_own(
    server: RunningServer, make_client: ClientFactory
) -> None:
    host, guest = await make_client("host"), await make_client("guest")
    room = await host.create_room("Members only", invite_only=True)
    invite = await host.conn.call_for(CreateInvite(), InviteCreated)
    await guest.join(room.room_id, invite.code)
    speak(server, room.room_id)

    stream = await guest.conn.call_for(ListenBroadcast(), BroadcastStream)
    assert stream.playlist.startswith(f"/hls/{room.room_id}/t/")
    async with aiohttp.ClientSession() as http:
        status, headers, _ = await get(http, f"{server.http_url}{stream.playlist}")
        assert status == 200 and headers["Cache-Control"].startswith("private")
        await host.request(Ban(user_id=guest.user_id))
        status, _, _ = await get(http, f"{server.http_url}{stream.playlist}")
    assert status == 404  # the token ended with the guest's place in the room


async def test_outside_a_room_or_without_media_there_is_no_broadcast(
    sqlite_url: str, tmp_path: Path, make_client: ClientFactory
) -> None:
    lonely = await make_client("lonely")
    with pytest.raises(RequestFailed) as refused:
        await lonely.conn.call_for(ListenBroadcast(), BroadcastStream)
    assert refused.value.code == "not_in_room"

    silent = await start_server(config_for(f"sqlite:///{tmp_path / 'quiet.db'}", media=False))
    try:
        host = RoomClient(silent.url, client_name="test", reconnect=False)
        await host.connect()
        await host.register("quiet-host", "correct horse battery")
        await host.create_room("No audio here")
        with pytest.raises(RequestFailed) as refused:
            await host.conn.call_for(ListenBroadcast(), BroadcastStream)
        assert refused.value.code == "media_failed"
        await host.close()
    finally:
        await silent.stop()


def test_the_capacity_flag_takes_a_count_and_refuses_anything_else(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse_args(["--webrtc-capacity", "2000"]).webrtc_capacity == 2000
    assert parse_args([]).webrtc_capacity is None  # no limit
    for bad in ("-1", "lots"):
        with pytest.raises(SystemExit):
            parse_args(["--webrtc-capacity", bad])
        assert "--webrtc-capacity" in capsys.readouterr().err
