"""Scheduled rooms from the client's side: the requests, and local time.

Times cross the wire as UTC epoch seconds; people see and type them in
their own time zone (`zoneinfo`), which `local_time` and `from_local`
convert, daylight saving included.
"""

import contextlib
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.client.session import RoomClient
from app.protocol.model import ScheduledRoom
from app.protocol.replies import Scheduled, UpcomingList
from app.protocol.requests import (
    CancelScheduled,
    EditScheduled,
    ListUpcoming,
    ScheduleRoom,
    SetReminder,
)


def local_zone() -> ZoneInfo | None:
    """The user's time zone as the OS names it ($TZ, else /etc/localtime's
    target), so that daylight saving follows the tz database; None when it
    has no name (then the OS's own local time rules are used)."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            names.append(target.split("zoneinfo/", 1)[1])
    for name in names:
        if name:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return ZoneInfo(name)
    return None


def local_time(epoch: float, zone: ZoneInfo | None = None) -> datetime:
    """An epoch time in `zone` (the user's own when None)."""
    when = datetime.fromtimestamp(epoch, zone)
    return when if zone is not None else when.astimezone()


def from_local(when: datetime, zone: ZoneInfo | None = None) -> float:
    """Epoch seconds of a wall-clock time in `zone` (a naive `when` is taken as in it)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone) if zone is not None else when.astimezone()
    return when.timestamp()


async def schedule_room(
    client: RoomClient,
    title: str,
    starts_at: float,
    topic: str = "",
    invite_only: bool = False,
    cohosts: Sequence[str] = (),
    speakers: Sequence[str] = (),
) -> ScheduledRoom:
    req = ScheduleRoom(
        title=title,
        starts_at=starts_at,
        topic=topic,
        invite_only=invite_only,
        cohosts=list(cohosts),
        speakers=list(speakers),
    )
    return (await client.conn.call_for(req, Scheduled)).room


async def edit_scheduled(
    client: RoomClient,
    room: ScheduledRoom,
    *,
    title: str | None = None,
    starts_at: float | None = None,
    topic: str | None = None,
    invite_only: bool | None = None,
    cohosts: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
) -> ScheduledRoom:
    """Change some of a plan: the rest is sent as it is in `room`."""
    req = EditScheduled(
        schedule_id=room.schedule_id,
        title=room.title if title is None else title,
        starts_at=room.starts_at if starts_at is None else starts_at,
        topic=room.topic if topic is None else topic,
        invite_only=room.invite_only if invite_only is None else invite_only,
        cohosts=list(room.cohosts if cohosts is None else cohosts),
        speakers=list(room.speakers if speakers is None else speakers),
    )
    return (await client.conn.call_for(req, Scheduled)).room


async def cancel_scheduled(client: RoomClient, schedule_id: str) -> ScheduledRoom:
    req = CancelScheduled(schedule_id=schedule_id)
    return (await client.conn.call_for(req, Scheduled)).room


async def list_upcoming(client: RoomClient) -> list[ScheduledRoom]:
    return (await client.conn.call_for(ListUpcoming(), UpcomingList)).rooms


async def set_reminder(client: RoomClient, schedule_id: str, on: bool = True) -> ScheduledRoom:
    req = SetReminder(schedule_id=schedule_id, on=on)
    return (await client.conn.call_for(req, Scheduled)).room
