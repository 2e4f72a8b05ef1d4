"""A resync offers audio again only when the room's media plane moved
(`media_epoch`), not after every gap: against a scripted server, which can
leave gaps and move the plane on cue; and a real one gives rooms an epoch."""

import msgspec

from app.client.changes import ClientChange, MediaMoved
from app.protocol.codec import Envelope
from app.protocol.events import Reacted
from app.protocol.model import RoomSnapshot
from app.protocol.replies import Event, RoomState
from app.protocol.requests import JoinRoom, React, Sync
from app.server.app import RunningServer
from tests.client.real_server import signed_in

from .scripted_server import reply, scripted_server
from .test_room_model import snap


async def test_a_single_server_gives_its_rooms_a_media_epoch(server: RunningServer) -> None:
    host, guest = await signed_in(server.url, "host"), await signed_in(server.url, "guest")
    try:
        room = await host.create_room("Epochs")
        model = await guest.join(room.room_id)
        assert model.snapshot.media_epoch >= 1  # the single server's lease of the room
    finally:
        await guest.close()
        await host.close()


class GapsAndEpochs:
    """Each reaction is answered, then followed by an event far ahead (a gap);
    each resync answers a snapshot at that seq from the next media epoch given."""

    def __init__(self, epochs: list[int]) -> None:
        self.epochs = iter(epochs)
        self.seq = 5

    def __call__(self, envelope: Envelope) -> list[msgspec.Struct]:
        request = envelope.request
        if isinstance(request, JoinRoom):
            return [reply(envelope, RoomState(room=self.snapshot(1)))]
        if isinstance(request, React):
            self.seq += 5
            clap = Reacted(user_id=2, reaction="clap")
            return [reply(envelope), Event(room_id="r1", seq=self.seq, event=clap)]
        assert isinstance(request, Sync), request
        return [reply(envelope, RoomState(room=self.snapshot(next(self.epochs))))]

    def snapshot(self, epoch: int) -> RoomSnapshot:
        return msgspec.structs.replace(snap(seq=self.seq), media_epoch=epoch)


async def test_a_resync_offers_again_only_when_the_media_epoch_changed() -> None:
    async with scripted_server(GapsAndEpochs([1, 8])) as url:
        guest = await signed_in(url, "guest")
        try:
            model = await guest.join("r1")
            offers: list[int] = []
            guest.rejoin_hooks.append(lambda: offers.append(1))
            moved: list[ClientChange] = []
            guest.changes.subscribe(
                lambda c: moved.append(c) if isinstance(c, MediaMoved) else None
            )

            # A gap: the snapshot comes from the same plane.
            await guest.request(React(reaction="clap"))
            await guest.wait_until(lambda m: m.seq == 10)
            assert guest.model is model and model.snapshot.media_epoch == 1
            assert offers == [] and moved == []

            # The room moved since our last snapshot: the resync says so, offer again.
            await guest.request(React(reaction="clap"))
            await guest.wait_until(lambda m: m.seq == 15)
            assert model.snapshot.media_epoch == 8
            assert offers == [1] and moved == [MediaMoved()]
        finally:
            await guest.close()


class MovedByAnEvent:
    """A reaction is followed by an event far ahead (a gap) from media epoch 8;
    the resync's snapshot is from epoch 8 too. Everything seen is logged."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.seq = 5

    def __call__(self, envelope: Envelope) -> list[msgspec.Struct]:
        request = envelope.request
        if isinstance(request, JoinRoom):
            return [reply(envelope, RoomState(room=self.snapshot(1)))]
        if isinstance(request, React):
            self.seq += 5
            clap = Reacted(user_id=2, reaction="clap")
            return [reply(envelope), Event(room_id="r1", seq=self.seq, event=clap, media_epoch=8)]
        assert isinstance(request, Sync), request
        self.log.append("sync")
        return [reply(envelope, RoomState(room=self.snapshot(8)))]

    def snapshot(self, epoch: int) -> RoomSnapshot:
        return msgspec.structs.replace(snap(seq=self.seq), media_epoch=epoch)


async def test_an_event_from_a_new_media_epoch_offers_again_before_the_resync() -> None:
    """The first event of a new origin says so: the audio is offered again at
    once, not after the snapshot (a round trip to a busy new origin), and
    only once."""
    seen: list[str] = []
    async with scripted_server(MovedByAnEvent(seen)) as url:
        guest = await signed_in(url, "guest")
        try:
            model = await guest.join("r1")
            guest.rejoin_hooks.append(lambda: seen.append("offer"))
            await guest.request(React(reaction="clap"))
            await guest.wait_until(lambda m: m.seq == 10)
            assert seen == ["offer", "sync"]
            assert model.snapshot.media_epoch == 8
        finally:
            await guest.close()
