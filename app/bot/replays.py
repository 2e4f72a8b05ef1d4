"""panggung-bot's replay options: list the replays this user may play,
fetch one (or a byte range of it), change or delete one, and end a hosted
room choosing what becomes of its recording (see --help)."""

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

import msgspec

from app.client.replays import fetch, list_replays, set_replay
from app.client.session import RoomClient
from app.protocol.model import ReplayChoice, ReplayInfo

Say = Callable[[str], None]
CHOICES = ("public", "private", "deleted")
_RANGE = re.compile(r"([0-9]+)-([0-9]*)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("replays")
    group.add_argument("--replays", action="store_true", help="list the replays this user may play")
    group.add_argument(
        "--fetch-replay", type=int, metavar="ID", help="save replay ID to --replay-to"
    )
    group.add_argument(
        "--replay-to",
        type=Path,
        metavar="OUT.ogg",
        help="where --fetch-replay writes (default: replay-ID.ogg)",
    )
    group.add_argument(
        "--replay-range",
        metavar="FIRST-[LAST]",
        help="with --fetch-replay: only these bytes (an HTTP Range), e.g. 40000-",
    )
    group.add_argument(
        "--set-replay",
        nargs=2,
        metavar=("ID", "CHOICE"),
        help="the room's host: make replay ID public or private, or delete it",
    )
    group.add_argument(
        "--end-room",
        choices=CHOICES,
        metavar="CHOICE",
        help="end the room (its host) before leaving; its recording becomes a "
        "public or private replay, or is deleted",
    )


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.replay_to is not None and args.fetch_replay is None:
        parser.error("--replay-to needs --fetch-replay")
    if args.replay_range is not None:
        if args.fetch_replay is None:
            parser.error("--replay-range needs --fetch-replay")
        if _RANGE.fullmatch(args.replay_range) is None:
            parser.error("--replay-range: FIRST-LAST or FIRST- (byte offsets)")
    if args.set_replay is not None:
        recording_id, choice = args.set_replay
        if not recording_id.isdigit() or choice not in CHOICES:
            parser.error(f"--set-replay ID CHOICE, CHOICE one of {', '.join(CHOICES)}")
    if args.end_room and not (args.create or args.join or args.link or args.start):
        parser.error("--end-room needs --create, --join, --link or --start")


def describe(info: ReplayInfo) -> str:
    mine = "  yours" if info.manage else ""
    return (
        f"{info.recording_id}  {info.room_title!r}  room {info.room_id}  "
        f"{info.duration:.1f} s  {info.visibility}{mine}"
    )


async def act(client: RoomClient, args: argparse.Namespace, say: Say) -> dict[str, object]:
    """The replay options that need no room, in order: change, list, fetch."""
    result: dict[str, object] = {}
    if args.set_replay is not None:
        recording_id, choice = int(args.set_replay[0]), cast(ReplayChoice, args.set_replay[1])
        await set_replay(client, recording_id, choice)
        say(f"replay {recording_id}: {choice}")
    if args.replays:
        listed = await list_replays(client)
        for info in listed:
            say(describe(info))
        if not listed:
            say("no replays")
        result["replays"] = msgspec.to_builtins(listed)
    if args.fetch_replay is not None:
        to = args.replay_to or Path(f"replay-{args.fetch_replay}.ogg")
        byte_range = None
        if args.replay_range is not None:
            found = _RANGE.fullmatch(args.replay_range)
            assert found is not None  # checked with the arguments
            byte_range = (int(found.group(1)), int(found.group(2)) if found.group(2) else None)
        size = await fetch(client, args.fetch_replay, to, byte_range)
        say(f"fetched replay {args.fetch_replay} to {to} ({size} bytes)")
    return result
