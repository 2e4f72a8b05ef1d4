"""A takeover brings the members still connected back in batches; whoever
asks something meanwhile is brought back first. Before, a listener's audio
offer that reached the new origin ahead of their turn found them
disconnected: answered as a stranger's instead of relayed, and their link
dropped at once (the 20,000-listener failover benchmark: the tone heard
again only after the client's 10 s rebuild)."""

import asyncio

import pytest

from app.client.session import RoomClient
from app.protocol.requests import RaiseHand
from app.server import hub as hub_module
from app.server.app import RunningServer
from app.server.hub import RoomHub
from tests.server.cluster.test_nodes import StartNode, member, start_node

__all__ = ["start_node"]
pytestmark = pytest.mark.postgres


async def test_a_member_who_asks_during_a_takeover_is_back_before_their_turn(
    start_node: StartNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = asyncio.Event()
    paused = asyncio.Event()

    async def held_turn(self: RoomHub) -> None:
        paused.set()
        await released.wait()  # the takeover stops after its first return

    monkeypatch.setattr(hub_module, "TAKEOVER_BATCH", 1)
    monkeypatch.setattr(RoomHub, "_takeover_turn", held_turn)
    a, b, c = [await start_node(name) for name in ("a", "b", "c")]
    clients: list[RoomClient] = []
    try:
        ayu = await member(a, "ayu", clients)
        budi, citra = await member(b, "budi", clients), await member(c, "citra", clients)
        rid = (await ayu.client.create_room("Taken over")).room_id
        for listener in (budi, citra):
            await listener.client.join(rid)
        await a.stop()  # its lease gone: b or c takes the room over
        await asyncio.wait_for(paused.wait(), 10)
        origin: RunningServer = b if b.hub.room_count else c
        # Its own member came back first; the other node's waits its turn...
        waiting = citra if origin is b else budi
        room = origin.hub._rooms[rid]
        assert not room.members[waiting.client.user_id].connected
        # ...unless they ask something: then they are back at once.
        await waiting.client.request(RaiseHand())
        assert room.members[waiting.client.user_id].connected
        assert room.members[waiting.client.user_id].hand_raised_at is not None
        released.set()
        await waiting.until(lambda m: m.members[waiting.client.user_id].hand_raised_at is not None)
    finally:
        released.set()
        for client in clients:
            await client.close()
