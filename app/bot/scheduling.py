"""panggung-bot's scheduled-room options: plan, list, remind, reschedule,
cancel, write an .ics file, and wait for the notices (see --help)."""

import argparse
import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from app.client.calendar_file import calendar_file
from app.client.scheduling import (
    cancel_scheduled,
    edit_scheduled,
    from_local,
    list_upcoming,
    local_time,
    schedule_room,
    set_reminder,
)
from app.client.session import RoomClient
from app.protocol.model import ScheduledRoom

Say = Callable[[str], None]


def add_arguments(parser: argparse.ArgumentParser, room: argparse._MutuallyExclusiveGroup) -> None:
    room.add_argument(
        "--start",
        metavar="SCHEDULE_ID",
        help="start a scheduled room now and host it (the invited co-hosts and speakers "
        "are in place on its stage)",
    )
    group = parser.add_argument_group("scheduled rooms")
    group.add_argument("--schedule", metavar="TITLE", help="schedule a room (with --at or --in)")
    group.add_argument(
        "--at",
        metavar="TIME",
        help="start time in --tz, ISO 8601 (e.g. '2026-12-24 19:30'); an offset in it wins",
    )
    group.add_argument(
        "--in", dest="in_seconds", type=float, metavar="SECONDS", help="start time from now"
    )
    group.add_argument(
        "--tz", help="time zone of --at and of what is printed (default: this computer's)"
    )
    group.add_argument(
        "--cohost",
        action="append",
        default=[],
        metavar="USER",
        help="invite ahead as a co-host (repeatable)",
    )
    group.add_argument(
        "--speaker",
        action="append",
        default=[],
        metavar="USER",
        help="invite ahead as a speaker (repeatable)",
    )
    group.add_argument("--upcoming", action="store_true", help="print the upcoming scheduled rooms")
    group.add_argument(
        "--remind", metavar="SCHEDULE_ID", help="ask to be reminded of a scheduled room"
    )
    group.add_argument("--no-remind", metavar="SCHEDULE_ID", help="no longer be reminded")
    group.add_argument(
        "--reschedule",
        metavar="SCHEDULE_ID",
        help="move a scheduled room to --at/--in (the host only)",
    )
    group.add_argument(
        "--cancel", metavar="SCHEDULE_ID", help="cancel a scheduled room (the host only)"
    )
    group.add_argument(
        "--ics",
        type=Path,
        metavar="OUT.ics",
        help="write the calendar file of the room scheduled, rescheduled or reminded of",
    )
    group.add_argument(
        "--wait-notices",
        type=int,
        default=0,
        metavar="N",
        help="wait (up to --stay seconds, default 60) until N scheduled-room notices arrived",
    )


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.schedule or args.reschedule) and args.at is None and args.in_seconds is None:
        parser.error("--schedule and --reschedule need --at or --in")
    if args.ics is not None and not (args.schedule or args.reschedule or args.remind):
        parser.error("--ics needs --schedule, --reschedule or --remind")
    if args.tz is not None:
        try:
            ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError):
            parser.error(f"--tz: no such time zone: {args.tz}")
    if args.at is not None:
        try:
            datetime.fromisoformat(args.at)
        except ValueError:
            parser.error(f"--at: not an ISO 8601 time: {args.at}")


def _start_time(args: argparse.Namespace, zone: ZoneInfo | None) -> float:
    if args.in_seconds is not None:
        return datetime.now().timestamp() + float(args.in_seconds)
    return from_local(datetime.fromisoformat(args.at), zone)


def describe(room: ScheduledRoom, zone: ZoneInfo | None) -> str:
    when = local_time(room.starts_at, zone).strftime("%Y-%m-%d %H:%M %Z")
    mine = ", reminded" if room.reminded else ""
    extra = f" room {room.room_id}" if room.room_id else ""
    return (
        f"{room.schedule_id}  {room.title!r}  {when}  host {room.host_name}  "
        f"{room.status}{extra}  {room.reminders} reminder(s){mine}"
    )


async def act(client: RoomClient, args: argparse.Namespace, say: Say) -> dict[str, object]:
    """Everything asked for before entering a room; what the JSON line reports."""
    zone = ZoneInfo(args.tz) if args.tz else None
    out: dict[str, object] = {}
    chosen: ScheduledRoom | None = None
    if args.schedule:
        chosen = await schedule_room(
            client,
            args.schedule,
            _start_time(args, zone),
            topic=args.topic,
            invite_only=args.invite_only,
            cohosts=args.cohost,
            speakers=args.speaker,
        )
        say("scheduled " + describe(chosen, zone))
    if args.reschedule:
        current = next(
            (r for r in await list_upcoming(client) if r.schedule_id == args.reschedule), None
        )
        if current is None:
            raise LookupError(f"no upcoming scheduled room {args.reschedule}")
        chosen = await edit_scheduled(client, current, starts_at=_start_time(args, zone))
        say("rescheduled " + describe(chosen, zone))
    if args.remind:
        chosen = await set_reminder(client, args.remind, True)
        say("will be reminded of " + describe(chosen, zone))
    if args.no_remind:
        say(
            "no longer reminded of "
            + describe(await set_reminder(client, args.no_remind, False), zone)
        )
    if args.cancel:
        say("cancelled " + describe(await cancel_scheduled(client, args.cancel), zone))
    if args.upcoming:
        upcoming = await list_upcoming(client)
        for room in upcoming:
            say(describe(room, zone))
        if not upcoming:
            say("no upcoming rooms")
        out["upcoming"] = msgspec.to_builtins(upcoming)
    if chosen is not None:
        out["scheduled"] = msgspec.to_builtins(chosen)
        if args.ics is not None:
            server = urlsplit(args.server).netloc or args.server
            args.ics.write_bytes(calendar_file(chosen, server))
            say(f"wrote the calendar file {args.ics}")
    return out


async def wait_notices(client: RoomClient, args: argparse.Namespace, say: Say) -> list[object]:
    """Wait for --wait-notices of them (printing each), up to --stay or 60 s."""
    zone = ZoneInfo(args.tz) if args.tz else None
    shown = 0

    def show() -> None:
        nonlocal shown
        for notice in client.schedule_notices[shown:]:
            say(f"notice {notice.kind}: " + describe(notice.room, zone))
        shown = len(client.schedule_notices)

    if args.wait_notices > 0:
        enough = asyncio.Event()

        def check(_change: object) -> None:
            show()
            if len(client.schedule_notices) >= args.wait_notices:
                enough.set()

        stop = client.changes.subscribe(check)
        check(None)
        try:
            await asyncio.wait_for(enough.wait(), args.stay or 60.0)
        finally:
            stop()
    with contextlib.suppress(Exception):
        show()
    return [msgspec.to_builtins(n) for n in client.schedule_notices]
