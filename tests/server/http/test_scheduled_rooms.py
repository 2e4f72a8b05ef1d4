"""Scheduled rooms end to end: real server, real clients on 127.0.0.1, real SQLite.

Scheduling across a restart, reminders delivered once (also after a restart,
and to someone who signs in later), Start now with the invited in place, and
each hostile request's error code.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from app.client.connection import RequestFailed
from app.client.scheduling import (
    cancel_scheduled,
    edit_scheduled,
    list_upcoming,
    schedule_room,
    set_reminder,
)
from app.client.session import RoomClient
from app.protocol.model import Role
from app.protocol.requests import ScheduleRoom
from app.server.app import RunningServer, start_server
from tests.server.http.conftest import PASSWORD, config_for

pytestmark = pytest.mark.timeout(120)


async def _client(url: str, name: str, register: bool = True) -> RoomClient:
    client = RoomClient(url, client_name="test", reconnect=False)
    await client.connect()
    if register:
        await client.register(name, PASSWORD)
    else:
        await client.login(name, PASSWORD)
    return client


@pytest.fixture
async def clients() -> AsyncIterator[list[RoomClient]]:
    opened: list[RoomClient] = []
    yield opened
    for client in opened:
        await client.close()


async def _notices(client: RoomClient, count: int, timeout: float = 20.0) -> list[str]:
    """The kinds of the notices received once there are `count` (or after `timeout`)."""
    enough = asyncio.Event()

    def check(_change: object) -> None:
        if len(client.schedule_notices) >= count:
            enough.set()

    stop = client.changes.subscribe(check)
    check(None)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(enough.wait(), timeout)
    stop()
    return [n.kind for n in client.schedule_notices]


async def _settle(server: RunningServer) -> None:
    """One more round of the server's timer, so that a second delivery would show."""
    assert server.schedules is not None
    await server.schedules.step()


async def test_a_reminder_is_delivered_once_and_not_again_after_a_restart(
    sqlite_url: str, clients: list[RoomClient]
) -> None:
    server = await start_server(config_for(sqlite_url))
    try:
        host = await _client(server.url, "hana")
        fan = await _client(server.url, "fajar")
        other = await _client(server.url, "gita")
        clients += [host, fan, other]
        planned = await schedule_room(host, "Weekly talk", time.time() + 1.5, topic="news")
        reminded = await set_reminder(fan, planned.schedule_id)
        assert (reminded.reminded, reminded.reminders) == (True, 1)
        assert await _notices(fan, 1) == ["starting"]
        assert fan.schedule_notices[0].room.schedule_id == planned.schedule_id
        await _settle(server)
        assert other.schedule_notices == []  # asked for nothing, told nothing
    finally:
        await server.stop()
    server = await start_server(config_for(sqlite_url))
    try:
        fan = await _client(server.url, "fajar", register=False)
        host = await _client(server.url, "hana", register=False)
        clients += [fan, host]
        await _settle(server)
        await asyncio.sleep(0.5)
        assert fan.schedule_notices == []  # the start reminder went out before the restart
        # Still upcoming (not started, not yet missed); the host goes live now.
        assert [r.schedule_id for r in await list_upcoming(fan)] == [planned.schedule_id]
        live = await host.start_scheduled(planned.schedule_id)
        assert await _notices(fan, 1) == ["live"]
        assert fan.schedule_notices[0].room.room_id == live.room_id
        await _settle(server)
        assert await _notices(fan, 2, timeout=0.5) == ["live"]
        assert await list_upcoming(fan) == []
    finally:
        await server.stop()


async def test_a_plan_made_before_a_restart_reminds_after_it_and_waits_for_who_was_away(
    sqlite_url: str, clients: list[RoomClient]
) -> None:
    server = await start_server(config_for(sqlite_url))
    try:
        host = await _client(server.url, "hana")
        fan = await _client(server.url, "fajar")
        away = await _client(server.url, "ikhsan")
        clients += [host, fan, away]
        planned = await schedule_room(host, "After the restart", time.time() + 3.0)
        await set_reminder(fan, planned.schedule_id)
        await set_reminder(away, planned.schedule_id)
        await away.close()
    finally:
        await server.stop()
    server = await start_server(config_for(sqlite_url))
    try:
        fan = await _client(server.url, "fajar", register=False)
        clients.append(fan)
        upcoming = await list_upcoming(fan)
        assert [(r.title, r.reminded, r.reminders) for r in upcoming] == [
            ("After the restart", True, 2)
        ]
        assert await _notices(fan, 1) == ["starting"]
        await asyncio.sleep(0.5)
        # Signed in only now: the notice waited for them, and comes once.
        away = await _client(server.url, "ikhsan", register=False)
        clients.append(away)
        assert await _notices(away, 1) == ["starting"]
        await _settle(server)
        assert await _notices(away, 2, timeout=0.5) == ["starting"]
        assert await _notices(fan, 2, timeout=0.1) == ["starting"]
    finally:
        await server.stop()


async def test_start_now_puts_the_invited_cohost_and_speaker_in_place(
    server: RunningServer, clients: list[RoomClient]
) -> None:
    host = await _client(server.url, "hana")
    cohost = await _client(server.url, "citra")
    speaker = await _client(server.url, "dewi")
    stranger = await _client(server.url, "eko")
    clients += [host, cohost, speaker, stranger]
    planned = await schedule_room(
        host,
        "Invite only",
        time.time() + 3600,
        invite_only=True,
        cohosts=["citra"],
        speakers=["DEWI"],  # names are found case-insensitively, spelt as registered
    )
    assert (planned.cohosts, planned.speakers) == (["citra"], ["dewi"])
    # The invited see it in Upcoming; nobody else does, not even by id.
    assert [r.schedule_id for r in await list_upcoming(speaker)] == [planned.schedule_id]
    assert await list_upcoming(stranger) == []
    with pytest.raises(RequestFailed) as refused:
        await set_reminder(stranger, planned.schedule_id)
    assert refused.value.code == "schedule_not_found"
    await set_reminder(cohost, planned.schedule_id)

    room = await host.start_scheduled(planned.schedule_id)
    assert room.snapshot.invite_only
    placed = {m.name: (m.role, m.connected) for m in room.snapshot.members}
    assert placed == {
        "hana": (Role.HOST, True),
        "citra": (Role.COHOST, False),
        "dewi": (Role.SPEAKER, False),
    }
    assert await _notices(cohost, 1) == ["live"]
    joined = await speaker.join(cohost.schedule_notices[0].room.room_id or "")
    me = joined.members[speaker.user_id]
    assert (me.role, me.connected) == (Role.SPEAKER, True)
    with pytest.raises(RequestFailed) as refused:
        await stranger.join(room.room_id)
    assert refused.value.code == "invite_required"
    # A second start is refused: it is live now.
    with pytest.raises(RequestFailed) as refused:
        await cohost.start_scheduled(planned.schedule_id)
    assert refused.value.code == "forbidden"


async def test_edit_and_cancel_tell_the_reminded_and_hostile_requests_get_their_codes(
    server: RunningServer, clients: list[RoomClient]
) -> None:
    host = await _client(server.url, "hana")
    fan = await _client(server.url, "fajar")
    clients += [host, fan]
    planned = await schedule_room(host, "Plan", time.time() + 3600)

    async def refused_with(request: object) -> str:
        with pytest.raises(RequestFailed) as refused:
            await request  # type: ignore[misc]
        return refused.value.code

    now = time.time()
    assert await refused_with(schedule_room(host, "Past", now - 3600)) == "bad_start_time"
    assert await refused_with(schedule_room(host, "Far", now + 400 * 86400)) == "bad_start_time"
    assert await refused_with(schedule_room(host, "x" * 101, now + 60)) == "invalid"
    assert await refused_with(schedule_room(host, "Who", now + 60, cohosts=["nobody"])) == (
        "no_such_user"
    )
    assert await refused_with(edit_scheduled(fan, planned, title="Mine")) == "forbidden"
    assert await refused_with(cancel_scheduled(fan, planned.schedule_id)) == "forbidden"
    assert await refused_with(set_reminder(fan, "no-such-plan")) == "schedule_not_found"
    # Out of the schema's bounds: refused as the frame is read.
    wild = ScheduleRoom(title="t", starts_at=1e12)
    assert await refused_with(host.conn.call(wild)) == "invalid"

    await set_reminder(fan, planned.schedule_id)
    moved = await edit_scheduled(host, planned, starts_at=now + 7200, topic="moved")
    assert (moved.starts_at, moved.topic, moved.reminders) == (now + 7200, "moved", 1)
    assert await _notices(fan, 1) == ["changed"]
    assert fan.schedule_notices[0].room.starts_at == now + 7200
    cancelled = await cancel_scheduled(host, planned.schedule_id)
    assert cancelled.status == "cancelled"
    assert await _notices(fan, 2) == ["changed", "cancelled"]
    assert await refused_with(set_reminder(fan, planned.schedule_id)) == "invalid_state"
    assert await refused_with(host.start_scheduled(planned.schedule_id)) == "invalid_state"
    assert await list_upcoming(fan) == []
