"""A node's members of a room held elsewhere get the origin's frames in
steps too, in order (deterministic: loop iterations counted, nothing timed).

Written all at once, a takeover's burst of events to the 6,670 members of a
node kept that node from reading anything for seconds: a listener's audio
offer there waited 2.4 s (the 20,000-listener cluster benchmark)."""

import asyncio

from app.server.hub import RoomHub
from tests.server.test_fanout_steps import STEP, Probe, hub

__all__ = ["hub"]
ROOM = "elsewhere"


def members_here(hub: RoomHub, count: int) -> list[Probe]:
    """`count` members attached here to a room this node does not hold (as
    `_join_elsewhere` leaves them: the cluster itself is not needed here)."""
    probes = [Probe(100 + i) for i in range(count)]
    attached = hub._attached.setdefault(ROOM, {})
    for probe in probes:
        probe.room_id = ROOM
        attached[probe.user_id] = probe
    return probes


async def test_the_origins_events_reach_a_big_audience_here_in_steps_in_order(
    hub: RoomHub,
) -> None:
    probes = members_here(hub, 3 * STEP)
    for seq in (1, 2, 3):
        hub.on_event(ROOM, seq, b"event %d" % seq)
    last = probes[-1]
    hub.on_notice(ROOM, last.user_id, b"for the last one", kick=False)
    # Nothing written yet: the loop reads requests before the first step.
    assert sum(len(p.frames) for p in probes) == 0
    await asyncio.sleep(0)
    assert sum(len(p.frames) for p in probes) == STEP
    iterations = 1
    while hub.fanout.queued(ROOM):
        await asyncio.sleep(0)
        iterations += 1
    assert iterations == 3 * 3 * STEP // STEP + 1  # the notice's own step
    events = [b"event 1", b"event 2", b"event 3"]
    assert all(p.frames == events for p in probes[:-1])
    assert last.frames == [*events, b"for the last one"]  # behind the events


async def test_a_kick_here_comes_after_everything_sent_before_it(hub: RoomHub) -> None:
    probes = members_here(hub, 3 * STEP)
    kicked = probes[-1]
    hub.on_event(ROOM, 1, b"event 1")
    hub.on_notice(ROOM, kicked.user_id, b"kicked", kick=True)
    assert kicked.frames == [b"event 1", b"kicked"] and kicked.room_id is None
    await hub.fanout.drained()
    assert all(p.frames == [b"event 1"] for p in probes[:-1])
    hub.on_event(ROOM, 2, b"event 2")
    await hub.fanout.drained()
    assert kicked.frames == [b"event 1", b"kicked"]  # no longer here


async def test_members_with_an_audio_link_here_get_each_event_first(hub: RoomHub) -> None:
    """After a takeover the first event of the new origin is what makes a
    client offer its audio again: those with audio through this node have it
    before the audience's first step (as `media_offer` records them)."""
    probes = members_here(hub, 3 * STEP)
    talker = probes[-1]  # last in line otherwise
    hub._with_audio[ROOM] = {talker.user_id}
    hub.on_event(ROOM, 1, b"event 1")
    assert talker.frames == [b"event 1"]
    assert sum(len(p.frames) for p in probes[:-1]) == 0
    hub.on_notice(ROOM, talker.user_id, b"for the talker", kick=False)
    assert talker.frames == [b"event 1", b"for the talker"]  # its own order kept
    await hub.fanout.drained()
    assert all(p.frames == [b"event 1"] for p in probes[:-1])
    assert talker.frames == [b"event 1", b"for the talker"]  # not twice
