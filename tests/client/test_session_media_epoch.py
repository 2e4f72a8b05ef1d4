"""A resync offers audio again only when the room's media plane moved
(`media_epoch`), not after every gap. Against a real single server."""

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from app.client.changes import ClientChange, MediaMoved
from app.client.session import RoomClient
from app.protocol.events import Reacted
from app.protocol.replies import Event
from app.server.app import RunningServer, ServerConfig, start_server

PASSWORD = "correct horse battery"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = ServerConfig(db_url=f"sqlite:///{tmp_path / 'm.db'}", host="127.0.0.1", port=0)
    running = await start_server(config)
    yield running
    await running.stop()


async def signed_in(url: str, name: str) -> RoomClient:
    client = RoomClient(url, client_name="test", reconnect=False)
    await client.connect()
    await client.register(name, PASSWORD)
    return client


async def test_a_resync_offers_again_only_when_the_media_epoch_changed(
    server: RunningServer,
) -> None:
    host, guest = await signed_in(server.url, "host"), await signed_in(server.url, "guest")
    try:
        room = await host.create_room("Epochs")
        model = await guest.join(room.room_id)
        epoch = model.snapshot.media_epoch
        assert epoch >= 1  # the single server's lease of the room
        offers: list[int] = []
        guest.rejoin_hooks.append(lambda: offers.append(1))
        moved: list[ClientChange] = []
        guest.changes.subscribe(lambda c: moved.append(c) if isinstance(c, MediaMoved) else None)

        # A gap (an event far ahead): the snapshot comes from the same plane.
        clap = Reacted(user_id=host.user_id, reaction="clap")
        ahead = Event(room_id=room.room_id, seq=model.seq + 5, event=clap)
        await guest._apply(ahead)
        assert guest.model is model and model.snapshot.media_epoch == epoch
        assert offers == [] and moved == []

        # Had the room moved since our last snapshot, the resync says so: offer again.
        model.snapshot = msgspec.structs.replace(model.snapshot, media_epoch=epoch + 7)
        await guest._apply(Event(room_id=room.room_id, seq=model.seq + 5, event=ahead.event))
        assert model.snapshot.media_epoch == epoch
        assert offers == [1] and moved == [MediaMoved()]
    finally:
        await guest.close()
        await host.close()
