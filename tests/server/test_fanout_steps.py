"""A big room's fan-out goes out in steps, the stage first (deterministic:
frames and loop iterations are counted, nothing is timed).

One event to 15,000 listeners used to be 15,000 writes before the loop
could read anything else: a speaker's request waited for the last listener.
Now the stage has the frame at once and the audience gets it `step` sockets
a loop iteration; requests are answered between the steps, and every
member still gets every frame, in order.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from aiohttp import web

from app.protocol.codec import decode_server
from app.protocol.events import RoomEnded, RoomUpdated
from app.protocol.replies import Audience, Event, Kicked
from app.protocol.requests import (
    AcceptInvite,
    CreateRoom,
    EndRoom,
    InviteToStage,
    LeaveRoom,
    SetTopic,
)
from app.server.accounts import Accounts
from app.server.admission import JoinGate
from app.server.fanout import Fanout
from app.server.http.connection import Connection
from app.server.http.lane import AudienceLane
from app.server.http.ratelimit import RateLimitConfig, RateLimits
from app.server.http.session import Dispatcher
from app.server.hub import RoomHub
from app.server.rooms import Actor
from app.server.store.sql import open_store

STEP = 500
AUDIENCE = 15_000


class Probe:
    """A listener's connection as the hub sees it: records what it is sent."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.room_id: str | None = None
        self.frames: list[bytes] = []

    def deliver(self, frame: bytes) -> None:
        self.frames.append(frame)

    def seqs(self) -> list[int]:
        return [m.seq for f in self.frames if isinstance(m := decode_server(f), Event)]


def event(raw: bytes) -> Event:
    message = decode_server(raw)
    assert isinstance(message, Event)
    return message


class Socket:
    closed = False


class Member(Connection):
    """A stage member's real `Connection`, recording what it is sent."""

    def __init__(self, user_id: int) -> None:
        super().__init__(cast(web.WebSocketResponse, Socket()))
        self.user_id, self.username, self.greeted = user_id, f"u{user_id}", True
        self.frames: list[bytes] = []

    def deliver(self, frame: bytes) -> None:
        self.frames.append(frame)


def frame(kind: str, **fields: object) -> bytes:
    return json.dumps({"type": kind, "id": 1, **fields}).encode()


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RoomHub]:
    store = await open_store(f"sqlite:///{tmp_path / 'steps.db'}")
    hub = RoomHub(
        store,
        time.time,
        30.0,
        "127.0.0.1:1",
        gate=JoinGate(rate=1e9, burst=10**9),
        fanout=Fanout(step=STEP),
    )
    monkeypatch.setattr(hub, "_schedule_pulse", lambda room_id: None)
    yield hub
    await store.close()


async def big_room(hub: RoomHub, audience: int) -> tuple[str, Member, Member, list[Probe]]:
    """A host, a speaker and `audience` listeners."""
    host, speaker = Member(1), Member(2)
    snap = await hub.create(host, Actor(1, "host"), CreateRoom(title="Big room"))
    room_id = snap.room_id
    await hub.join(speaker, Actor(2, "speaker"), room_id, None)
    await hub.command(host, Actor(1, "host"), InviteToStage(user_id=2))
    await hub.command(speaker, Actor(2, "speaker"), AcceptInvite())
    listeners = [Probe(100 + i) for i in range(audience)]
    for probe in listeners:
        await hub.join(probe, Actor(probe.user_id, f"l{probe.user_id}"), room_id, None)
    await hub.fanout.drained()
    return room_id, host, speaker, listeners


def dispatcher(hub: RoomHub) -> Dispatcher:
    # Nobody signs in here; the lane never holds the stage's requests anyway.
    return Dispatcher(cast(Accounts, None), hub, RateLimits(RateLimitConfig()), AudienceLane())


async def test_a_speakers_request_is_answered_before_the_audience_has_the_last_event(
    hub: RoomHub,
) -> None:
    room_id, host, speaker, listeners = await big_room(hub, AUDIENCE)
    d = dispatcher(hub)
    start = [len(p.frames) for p in listeners]
    reply = await d.on_frame(host, frame("set_topic", topic="one"))
    assert json.loads(reply)["type"] == "ok"
    # The stage has it; the audience gets it over the next loop iterations.
    assert isinstance(event(speaker.frames[-1]).event, RoomUpdated)
    assert hub.fanout.queued(room_id) == 1
    await asyncio.sleep(0)  # one loop iteration: one step
    # A speaker's request read now is answered while the fan-out still runs.
    mute = await d.on_frame(speaker, frame("self_mute", muted=True))
    assert json.loads(mute)["type"] == "ok"
    reached = sum(len(p.frames) > n for p, n in zip(listeners, start, strict=True))
    assert STEP <= reached <= 2 * STEP
    assert hub.fanout.queued(room_id) == 2  # the mute is queued behind the topic
    iterations = 0
    while hub.fanout.queued(room_id):
        await asyncio.sleep(0)
        iterations += 1
    # 2 x 15,000 deliveries, STEP a loop iteration.
    assert 2 * AUDIENCE // STEP - 3 <= iterations <= 2 * AUDIENCE // STEP
    # Everyone has both, in order, nothing twice.
    first = speaker.frames[-2:]
    seqs = [event(f).seq for f in first]
    assert seqs[1] == seqs[0] + 1
    for probe, n in zip(listeners, start, strict=True):
        assert probe.frames[n:] == first


async def test_a_small_room_is_sent_at_once(hub: RoomHub) -> None:
    room_id, host, _speaker, listeners = await big_room(hub, STEP)
    await hub.command(host, Actor(1, "host"), SetTopic(topic="now"))
    assert hub.fanout.queued(room_id) == 0
    assert all(isinstance(decode_server(p.frames[-1]), Event) for p in listeners)


async def test_who_joins_the_stage_mid_fanout_still_sees_every_event_in_order(
    hub: RoomHub,
) -> None:
    room_id, host, _speaker, listeners = await big_room(hub, 3 * STEP)
    riser = listeners[-1]  # reached by the last step
    before = len(riser.frames)
    await hub.command(host, Actor(1, "host"), SetTopic(topic="a"))
    await hub.command(host, Actor(1, "host"), InviteToStage(user_id=riser.user_id))
    assert hub.fanout.queued(room_id) == 2
    await hub.command(riser, Actor(riser.user_id, "riser"), AcceptInvite())
    await hub.command(host, Actor(1, "host"), SetTopic(topic="b"))
    await hub.fanout.drained()
    # Events only: going up also brings the riser its new `allowed` actions.
    seqs = [m.seq for f in riser.frames[before:] if isinstance(m := decode_server(f), Event)]
    assert seqs == list(range(seqs[0], seqs[0] + 4))
    # And so does everyone else.
    for probe in listeners[:-1]:
        assert probe.seqs()[-4:] == seqs


async def test_who_leaves_mid_fanout_is_skipped_and_the_end_reaches_everyone_first(
    hub: RoomHub,
) -> None:
    room_id, host, _speaker, listeners = await big_room(hub, 3 * STEP)
    leaver = listeners[-1]
    await hub.command(host, Actor(1, "host"), SetTopic(topic="a"))
    await hub.command(leaver, Actor(leaver.user_id, "leaver"), LeaveRoom())
    assert isinstance(decode_server(leaver.frames[-1]), Kicked)
    told = len(leaver.frames)
    await hub.command(host, Actor(1, "host"), EndRoom())
    # Ending the room sends what was queued and the end before anyone is let go.
    assert hub.fanout.queued(room_id) == 0
    assert len(leaver.frames) == told  # gone before the topic reached it: skipped
    for probe in listeners[:-1]:
        *_, topic, ended, kicked = probe.frames
        assert isinstance(event(topic).event, RoomUpdated)
        assert isinstance(event(ended).event, RoomEnded)
        told_off = decode_server(kicked)
        assert isinstance(told_off, Kicked) and told_off.reason == "ended"


async def test_summaries_queue_behind_events(hub: RoomHub) -> None:
    room_id, host, _speaker, listeners = await big_room(hub, 2 * STEP)
    await hub.command(host, Actor(1, "host"), SetTopic(topic="a"))
    assert hub.flush_pulse(room_id, 10.0) == 1
    assert hub.fanout.queued(room_id) == 2
    assert isinstance(decode_server(host.frames[-1]), Audience)  # the stage: at once
    await hub.fanout.drained()
    for probe in listeners:
        assert [type(decode_server(f)) for f in probe.frames[-2:]] == [Event, Audience]
