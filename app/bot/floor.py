"""The bot under floor control: switch it (a moderator's right), take the
floor and give it back, and speak only once it holds the floor."""

import argparse
import asyncio
from collections.abc import Callable

from app.client.session import RoomClient
from app.protocol.model import STAGE_ROLES
from app.protocol.requests import MAX_TURN, MIN_TURN, PushToTalk, SetFloorControl

Say = Callable[[str], None]
# How long the bot waits for a place on the stage, and then for the floor.
PATIENCE = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--floor-control",
        choices=("on", "off"),
        help="switch floor control (one speaker heard at a time) on or off, a moderator's "
        "right; with --max-turn",
    )
    parser.add_argument(
        "--max-turn",
        type=int,
        metavar="SECONDS",
        help=f"with --floor-control on: a turn ends after this long ({MIN_TURN}-{MAX_TURN} s) "
        "when someone waits",
    )
    parser.add_argument(
        "--take-floor",
        type=float,
        metavar="SECONDS",
        help=f"once on stage (waits up to {PATIENCE:.0f} s), press push-to-talk, wait for the "
        "floor, hold it this long and release it",
    )


def check_arguments(
    parser: argparse.ArgumentParser, args: argparse.Namespace, in_room: bool
) -> None:
    if (args.floor_control or args.take_floor is not None) and not in_room:
        parser.error("--floor-control and --take-floor need --join, --link or --create")
    if args.max_turn is not None and args.floor_control != "on":
        parser.error("--max-turn needs --floor-control on")
    if args.max_turn is not None and not MIN_TURN <= args.max_turn <= MAX_TURN:
        parser.error(f"--max-turn is {MIN_TURN} to {MAX_TURN} seconds")
    if args.take_floor is not None and args.take_floor <= 0:
        parser.error("--take-floor needs a positive number of seconds")


async def set_floor_control(client: RoomClient, args: argparse.Namespace, say: Say) -> None:
    if args.floor_control is None:
        return
    on = args.floor_control == "on"
    await client.request(SetFloorControl(enabled=on, max_turn=args.max_turn if on else None))
    turn = f", turns of at most {args.max_turn} s" if on and args.max_turn else ""
    say(f"floor control {'on' if on else 'off'}{turn}")


async def wait_for_floor(client: RoomClient, say: Say, timeout: float = PATIENCE) -> None:
    """After pressing: return once this bot holds the floor (at once without floor control)."""
    me = client.user_id
    model = client.model
    if model is None or not model.floor.enabled:
        return
    if model.floor.holder != me:
        await client.wait_until(lambda m: m.floor.holder == me or me in m.floor.queue)
        if client.model is not None and client.model.floor.holder != me:
            say("waiting for the floor")
        await client.wait_until(lambda m: m.floor.holder == me, timeout=timeout)
    say("holds the floor")


async def take_floor(client: RoomClient, args: argparse.Namespace, say: Say) -> None:
    if args.take_floor is None:
        return
    me = client.user_id
    await client.wait_until(lambda m: m.role_of(me) in STAGE_ROLES, timeout=PATIENCE)
    await client.request(PushToTalk(pressed=True))
    try:
        await wait_for_floor(client, say)
        await asyncio.sleep(args.take_floor)
    finally:
        await client.request(PushToTalk(pressed=False))
    say("released the floor")
