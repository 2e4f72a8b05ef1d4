"""The desktop session's scheduled rooms: the directory's Upcoming section,
the host's and the audience's actions, and the notices in words."""

from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from app.client import scheduling
from app.client.calendar_file import calendar_file
from app.client.scheduling import local_zone
from app.client.session import RoomClient
from app.protocol.model import ScheduledRoom
from app.protocol.replies import ScheduleNotice

# How a notice's kind is said (a code of notices.TEXTS).
NOTICE_CODES = {
    "starting": "schedule_starting",
    "live": "schedule_live",
    "changed": "schedule_changed",
    "cancelled": "schedule_cancelled",
    "missed": "schedule_missed",
}


def when_text(epoch: float, zone: ZoneInfo | None = None) -> str:
    """A start time as people read it here: their own zone, named."""
    return scheduling.local_time(epoch, zone).strftime("%a %d %b %Y, %H:%M %Z")


class UpcomingRooms:
    def __init__(self, changed: Callable[[], None], zone: ZoneInfo | None = None) -> None:
        self.rooms: list[ScheduledRoom] = []
        self.zone = zone if zone is not None else local_zone()
        self._changed = changed

    def find(self, schedule_id: str) -> ScheduledRoom | None:
        return next((r for r in self.rooms if r.schedule_id == schedule_id), None)

    async def refresh(self, client: RoomClient) -> list[ScheduledRoom]:
        rooms = await scheduling.list_upcoming(client)
        if rooms != self.rooms:
            self.rooms = rooms
            self._changed()
        return rooms

    async def schedule(
        self,
        client: RoomClient,
        title: str,
        starts_at: float,
        topic: str,
        invite_only: bool,
        cohosts: Sequence[str],
        speakers: Sequence[str],
    ) -> ScheduledRoom:
        room = await scheduling.schedule_room(
            client, title, starts_at, topic, invite_only, cohosts, speakers
        )
        await self.refresh(client)
        return room

    async def remind(self, client: RoomClient, schedule_id: str, on: bool) -> ScheduledRoom:
        room = await scheduling.set_reminder(client, schedule_id, on)
        await self.refresh(client)
        return room

    async def reschedule(self, client: RoomClient, schedule_id: str, starts_at: float) -> None:
        room = self.find(schedule_id)
        if room is not None:
            await scheduling.edit_scheduled(client, room, starts_at=starts_at)
        await self.refresh(client)

    async def cancel(self, client: RoomClient, schedule_id: str) -> None:
        await scheduling.cancel_scheduled(client, schedule_id)
        await self.refresh(client)

    def save_calendar(self, schedule_id: str, path: Path, server: str) -> None:
        room = self.find(schedule_id)
        if room is None:
            raise LookupError(schedule_id)
        path.write_bytes(calendar_file(room, server))

    def said(self, notice: ScheduleNotice) -> tuple[str, dict[str, str]]:
        """The notice code and its parameters for a scheduled room's notice."""
        room = notice.room
        params = {
            "room": room.title,
            "host": room.host_name,
            "when": when_text(room.starts_at, self.zone),
        }
        return NOTICE_CODES.get(notice.kind, "schedule_changed"), params
