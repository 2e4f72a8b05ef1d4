"""The hub's fan-out, counted frame by frame (deterministic, not timed): a
join storm costs O(N) frames, not O(N^2); counts and reactions go out once
per window and only when they changed; and a burst of departures never cuts
off a connection that keeps reading (issue #20, point 2).

The hub runs on a real SQLite store; members are probes that record what
they are sent, or real `Connection`s whose writers have not run yet (as on a
machine too busy to schedule them).
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
from aiohttp import web

from app.protocol.codec import decode_server
from app.protocol.replies import Audience, Event, Reactions
from app.protocol.requests import CreateRoom, LowerHand, RaiseHand, React
from app.server.admission import JoinGate
from app.server.http.connection import Connection
from app.server.hub import RoomHub
from app.server.rooms import Actor, audience_count, to_durable
from app.server.store.api import Store
from app.server.store.sql import open_store

# The cut-off this queue had before #20: 1024 frames.
OLD_FRAME_LIMIT = 1024


class Probe:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.room_id: str | None = None
        self.frames: list[bytes] = []

    def deliver(self, frame: bytes) -> None:
        self.frames.append(frame)

    def kinds(self) -> list[str]:
        return [type(decode_server(f)).__name__ for f in self.frames]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def quiet_hub(store: Store, **options: Any) -> RoomHub:
    """A hub whose joins are never held back and whose once-a-second summaries
    only the test sends (with flush_pulse)."""
    gate = JoinGate(rate=1e9, burst=10**9, max_wait=1.0)
    return RoomHub(store, Clock(), 30.0, "127.0.0.1:1", gate=gate, timed_pulses=False, **options)


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RoomHub]:
    store = await open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    hub = quiet_hub(store)
    yield hub
    await store.close()


async def open_room(hub: RoomHub) -> tuple[str, Probe]:
    host = Probe(1)
    snap = await hub.create(host, Actor(1, "host"), CreateRoom(title="Big room"))
    return snap.room_id, host


async def storm(hub: RoomHub, room_id: str, count: int, first: int = 100) -> list[Probe]:
    probes = [Probe(first + i) for i in range(count)]
    for probe in probes:
        await hub.join(probe, Actor(probe.user_id, f"l{probe.user_id}"), room_id, None)
    return probes


@pytest.mark.parametrize("listeners", [50, 500])
async def test_a_join_storm_sends_a_frame_per_member_not_per_pair(
    hub: RoomHub, listeners: int
) -> None:
    room_id, host = await open_room(hub)
    probes = await storm(hub, room_id, listeners)
    everyone = [host, *probes]
    # Before: join k went to the k members already in, 1 + 2 + ... + N frames.
    assert sum(len(p.frames) for p in everyone) == 0
    assert hub.flush_pulse(room_id, 10.0) == 1
    # One summary each, with the true count: N + 1 frames for N joins.
    assert sum(len(p.frames) for p in everyone) == listeners + 1
    for probe in everyone:
        [counts] = [decode_server(f) for f in probe.frames]
        assert counts == Audience(room_id=room_id, listeners=listeners, hands=0)
    # Nothing changed: nothing more is sent.
    assert hub.flush_pulse(room_id, 20.0) == 0


async def test_a_listener_snapshot_is_the_same_size_in_a_big_room(hub: RoomHub) -> None:
    room_id, _host = await open_room(hub)
    await storm(hub, room_id, 20)
    small = await hub.join(Probe(5000), Actor(5000, "late"), room_id, None)
    await storm(hub, room_id, 2000, first=10_000)
    big = await hub.join(Probe(5001), Actor(5001, "late"), room_id, None)
    assert len(small.members) == len(big.members) == 2  # the host, and the joiner
    assert abs(len(msgspec.json.encode(big)) - len(msgspec.json.encode(small))) <= 8


async def test_counts_converge_and_go_out_only_when_they_changed(hub: RoomHub) -> None:
    room_id, host = await open_room(hub)
    probes = await storm(hub, room_id, 30)
    hub.flush_pulse(room_id, 1.0)
    for probe in probes[:10]:
        await hub.detach(probe)
    await hub.command(probes[10], Actor(probes[10].user_id, "x"), RaiseHand())
    room = hub.local_room(room_id)
    assert room is not None
    assert hub.flush_pulse(room_id, 2.0) == 1
    last = decode_server(host.frames[-1])
    assert last == Audience(room_id=room_id, listeners=20, hands=1)
    assert audience_count(room).listeners == 20
    # A change and its undoing within one window: nothing to say.
    extra = await storm(hub, room_id, 1, first=900)
    await hub.detach(extra[0])
    before = len(host.frames)
    assert hub.flush_pulse(room_id, 3.0) == 0 and len(host.frames) == before


async def test_a_reaction_storm_is_one_frame_per_member_per_window(hub: RoomHub) -> None:
    room_id, host = await open_room(hub)
    probes = await storm(hub, room_id, 1000)
    hub.flush_pulse(room_id, 1.0)
    await hub.fanout.drained()
    for p in [host, *probes]:
        p.frames.clear()
    reacting = probes[::10]  # 10 %
    for i, probe in enumerate(reacting):
        reaction: Any = "clap" if i % 2 else "fire"
        await hub.command(
            probe, Actor(probe.user_id, f"l{probe.user_id}"), React(reaction=reaction)
        )
    assert all(not p.frames for p in probes)  # nothing one by one
    assert hub.flush_pulse(room_id, 2.0) == 1
    await hub.fanout.drained()  # a big audience gets it in steps
    for probe in [host, *probes]:
        [burst] = [decode_server(f) for f in probe.frames]
        assert isinstance(burst, Reactions)
        assert burst.counts == {"clap": 50, "fire": 50}
        assert [s.user_id for s in burst.senders] == [p.user_id for p in reacting[:3]]


class StalledSocket:
    """A WebSocket whose writer never got the chance to run."""

    closed = False


def stalled_connection(user_id: int) -> Connection:
    # Its clock stands still: this is about how big a burst is, not how long
    # a slow test machine takes to make it.
    conn = Connection(cast(web.WebSocketResponse, StalledSocket()), clock=lambda: 0.0)
    conn.user_id = user_id
    return conn


async def test_a_mass_departure_cuts_off_nobody_who_stays(hub: RoomHub) -> None:
    room_id, _ = await open_room(hub)
    host = stalled_connection(1)
    # The host's own connection, replacing the probe that created the room.
    await hub.join(host, Actor(1, "host"), room_id, None)
    stayers = [stalled_connection(50 + i) for i in range(20)]
    for conn in stayers:
        await hub.join(conn, Actor(conn.user_id, f"s{conn.user_id}"), room_id, None)
    # 2,000 members with their hands up, shown to everyone, so that their
    # going is numbered events for all (the worst case for the summary).
    leavers = await storm(hub, room_id, 2000, first=1000)
    for probe in leavers:
        await hub.command(probe, Actor(probe.user_id, "x"), RaiseHand())
    for probe in leavers:
        await hub.detach(probe)  # all drop at once
    clock = cast(Clock, hub.clock)
    clock.now += 31.0
    await hub.tick()  # and their grace periods run out together
    watchers = [host, *stayers]
    for conn in watchers:
        assert not conn.fell_behind, conn.conn_id
        assert conn.room_id == room_id
    # The burst was far beyond what the old frame limit allowed.
    queued = len(host.queued_frames)
    assert queued > 3 * OLD_FRAME_LIMIT, queued
    events = [decode_server(f) for f in host.queued_frames]
    assert [e.seq for e in events if isinstance(e, Event)] == list(range(1, 6001))


def test_a_client_that_stops_reading_is_still_cut_off() -> None:
    now = [0.0]
    lagging = Connection(
        cast(web.WebSocketResponse, StalledSocket()), max_lag=30.0, clock=lambda: now[0]
    )
    lagging.deliver(b"x" * 100)
    now[0] = 29.0
    lagging.deliver(b"y")
    assert not lagging.fell_behind
    now[0] = 31.0
    lagging.deliver(b"z")
    assert lagging.fell_behind and lagging.queued_bytes == 0
    hoarding = Connection(cast(web.WebSocketResponse, StalledSocket()), max_queue_bytes=1000)
    for _ in range(9):
        hoarding.deliver(b"x" * 100)
    assert not hoarding.fell_behind
    hoarding.deliver(b"x" * 101)
    assert hoarding.fell_behind


async def test_a_writer_drains_the_queue_and_closes_cleanly() -> None:
    sent: list[bytes] = []

    class Socket:
        closed = False
        close_code: int | None = None

        async def send_frame(self, frame: bytes, _kind: object) -> None:
            sent.append(frame)

        async def close(self, code: int) -> None:
            self.close_code = code

    ws = Socket()
    conn = Connection(cast(web.WebSocketResponse, ws))
    writer = asyncio.get_running_loop().create_task(conn.run_writer())
    for i in range(3000):
        conn.deliver(b"%d" % i)
    await asyncio.sleep(0)
    conn.close_soon()
    await writer
    assert sent == [b"%d" % i for i in range(3000)] and ws.close_code == 1001


async def test_audience_doings_skip_the_durable_comparison(
    hub: RoomHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Comparing the durable part is O(stage + hands): paid per join, a storm
    # with thousands of hands up is O(N²). Joins, drops and reactions of
    # listeners nobody is shown cannot change it, so they never pay it.
    room_id, _host = await open_room(hub)
    hands = await storm(hub, room_id, 300, first=5000)
    for probe in hands:
        await hub.command(probe, Actor(probe.user_id, "h"), RaiseHand())
    await hub.flush()  # the hands are saved
    calls = 0
    real = to_durable

    def counting(room: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(room)

    monkeypatch.setattr("app.server.hub.to_durable", counting)
    probes = await storm(hub, room_id, 500)
    for probe in probes[:100]:
        await hub.command(probe, Actor(probe.user_id, "x"), React(reaction="clap"))
    for probe in probes[:200]:
        await hub.detach(probe)
    assert calls == 0
    # A moderator's change is still saved.
    await hub.command(hands[0], Actor(hands[0].user_id, "h"), LowerHand())
    assert calls >= 1


async def test_a_storm_costs_the_same_summary_frames_per_join_at_any_size(
    tmp_path: Path,
) -> None:
    # At a fixed one-second window a storm of N joins at a fixed rate lasts
    # N / rate seconds and every second reaches everyone present: N / (2 rate)
    # summary frames per join, growing with the room. The window grows with
    # the room instead (`budget` frames a second), so it stays flat.
    rate, budget = 100.0, 50
    store = await open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        per_join = []
        for size in (200, 2000):
            hub = quiet_hub(store, pulse_budget=budget)
            room_id, host = await open_room(hub)
            probes = [host]
            for i in range(size):
                now = i / rate
                probe = Probe(100 + i)
                await hub.join(probe, Actor(probe.user_id, f"l{probe.user_id}"), room_id, None)
                probes.append(probe)
                if hub.pulse_of(room_id).due_in(now, len(probes)) == 0:
                    hub.flush_pulse(room_id, now)
            end = size / rate + hub.pulse_of(room_id).window(len(probes))
            assert hub.flush_pulse(room_id, end) == 1
            await hub.fanout.drained()
            # Everyone ends with the true count, within one window of the storm's end.
            for probe in probes:
                assert decode_server(probe.frames[-1]) == Audience(
                    room_id=room_id, listeners=size, hands=0
                )
            per_join.append(sum(len(p.frames) for p in probes) / size)
        small, large = per_join
        assert large <= 1.3 * small, per_join
    finally:
        await store.close()
