"""`panggung-bot`: a headless Panggung client for tests, demos and load."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import msgspec

from app.bot import floor, replays, scheduling
from app.bot.audio import BotAudio
from app.bot.recording_lines import describe
from app.client.connection import ConnectionLost, RequestFailed
from app.client.recordings import RecordingError, download, list_recordings
from app.client.room_model import RoomModel
from app.client.session import RoomClient
from app.protocol.events import AnyRoomEvent
from app.protocol.links import parse_link
from app.protocol.model import RecordingInfo
from app.protocol.replies import RoomList
from app.protocol.requests import AcceptInvite, EndRoom, ListRooms, RaiseHand, SetRecording

PASSWORD_ENV = "PANGGUNG_PASSWORD"
# Their values are ids and codes the server draws, which may start with '-'
# (older servers' room ids did): argparse would take "--join -xY" for two options.
_DASH_VALUES = (
    "--join",
    "--invite",
    "--start",
    "--remind",
    "--no-remind",
    "--reschedule",
    "--cancel",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="panggung-bot",
        description="A headless Panggung client: signs in, creates or joins a room, "
        "acts in it, and prints what it sees.",
        epilog=f"The password may come from ${PASSWORD_ENV} instead of --password, "
        "which keeps it out of the process list. For load tests, `panggung-bot load` runs "
        "many signaling-only listeners in one process (see `panggung-bot load --help`).",
    )
    parser.add_argument(
        "--server", required=True, help="WebSocket URL, e.g. ws://127.0.0.1:8765/ws"
    )
    parser.add_argument("--user", required=True, help="username")
    parser.add_argument("--password", help=f"password (default: ${PASSWORD_ENV})")
    parser.add_argument(
        "--register", action="store_true", help="create the account (logs in if it exists)"
    )
    parser.add_argument("--list", action="store_true", help="print the live rooms")
    room = parser.add_mutually_exclusive_group()
    room.add_argument(
        "--create",
        metavar="TITLE",
        help="create a room and host it (it stays live for the server's grace period after "
        "the bot exits; a bot that joined leaves the room when it exits)",
    )
    room.add_argument("--join", metavar="ROOM_ID", help="join a room by id")
    room.add_argument("--link", help="join through an invite link (panggung://... or http://...)")
    parser.add_argument(
        "--topic", default="", help="topic of the room created with --create or --schedule"
    )
    parser.add_argument("--invite-only", action="store_true", help="with --create or --schedule")
    parser.add_argument("--capacity", type=int, default=13, help="stage size with --create")
    parser.add_argument("--invite", metavar="CODE", help="invite code for --join")
    parser.add_argument("--raise-hand", action="store_true", help="raise a hand after joining")
    parser.add_argument(
        "--accept-invite",
        action="store_true",
        help="wait (up to --stay seconds, default 60) for an invitation to the stage and accept it",
    )
    parser.add_argument(
        "--stay", type=float, default=0.0, help="seconds to stay in the room following events"
    )
    parser.add_argument(
        "--speak",
        type=Path,
        metavar="FILE",
        help="hold push-to-talk and speak this audio file (WAV or any FFmpeg format), "
        "then release; needs a place on the stage",
    )
    parser.add_argument("--record", type=Path, metavar="OUT.wav", help="write what it hears")
    parser.add_argument(
        "--listen",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds to listen to the room (after speaking, if --speak)",
    )
    parser.add_argument(
        "--start-recording",
        action="store_true",
        help="record the room (a moderator's right) right after entering it",
    )
    parser.add_argument(
        "--stop-recording",
        action="store_true",
        help="stop recording the room before leaving it (after --speak, --listen, --stay)",
    )
    parser.add_argument(
        "--recordings",
        action="store_true",
        help="list the recordings this user may download (started, or of rooms hosted)",
    )
    parser.add_argument(
        "--download",
        type=int,
        metavar="ID",
        help="download recording ID (see --recordings) to --to, as the last step",
    )
    parser.add_argument(
        "--to",
        type=Path,
        metavar="OUT.ogg",
        help="where --download writes the recording (default: recording-ID.ogg)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the room's state as JSON on the last line"
    )
    scheduling.add_arguments(parser, room)
    replays.add_arguments(parser)
    floor.add_arguments(parser)
    # argparse lists its options only in a private attribute, stable since 2.7.
    options = {flag for action in parser._actions for flag in action.option_strings}
    args = parser.parse_args(_dash_values_attached(sys.argv[1:] if argv is None else argv, options))
    args.password = args.password or os.environ.get(PASSWORD_ENV)
    if not args.password:
        parser.error(f"give --password or set ${PASSWORD_ENV}")
    scheduling.check_arguments(parser, args)
    replays.check_arguments(parser, args)
    in_room = args.create or args.join or args.link or args.start
    if (args.raise_hand or args.accept_invite) and not in_room:
        parser.error("--raise-hand and --accept-invite need --join, --link or --create")
    if (args.speak or args.record or args.listen) and not in_room:
        parser.error("--speak, --record and --listen need --join, --link or --create")
    if (args.start_recording or args.stop_recording) and not in_room:
        parser.error("--start-recording and --stop-recording need --join, --link or --create")
    floor.check_arguments(parser, args, bool(in_room))
    if args.to is not None and args.download is None:
        parser.error("--to needs --download")
    if args.speak and not args.speak.is_file():
        parser.error(f"--speak: no such file: {args.speak}")
    return args


def _dash_values_attached(argv: list[str], options: set[str]) -> list[str]:
    """`--join -xY` as `--join=-xY`, so that argparse reads the value as a value
    (unless it is one of our options: `--join --list` is a missing id)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        following = argv[i + 1] if i + 1 < len(argv) else ""
        if (
            argv[i] in _DASH_VALUES
            and following.startswith("-")
            and following.split("=", 1)[0] not in options
        ):
            out.append(f"{argv[i]}={following}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def _say(args: argparse.Namespace, text: str) -> None:
    # With --json the last line is the JSON; the narrative goes to stderr.
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


async def run(args: argparse.Namespace) -> int:
    client = RoomClient(args.server, client_name="panggung-bot")
    await client.connect()
    try:
        return await _act(client, args)
    finally:
        # A joiner leaves, so the room sees it go at once (no grace period); a
        # creator only disconnects, so its room outlives it for the grace
        # period and other bots can still join it.
        await client.close(leave=not (args.create or args.start))


async def _act(client: RoomClient, args: argparse.Namespace) -> int:
    if args.register:
        try:
            await client.register(args.user, args.password)
        except RequestFailed as exc:
            if exc.code != "username_taken":
                raise
            await client.login(args.user, args.password)
    else:
        await client.login(args.user, args.password)
    _say(args, f"signed in as {client.username} (user {client.user_id})")
    if args.list:
        rooms = await client.conn.call_for(ListRooms(), RoomList)
        for summary in rooms.rooms:
            _say(
                args,
                f"{summary.room_id}  {summary.title!r}  host {summary.host_name}  "
                f"{summary.speakers} on stage, {summary.listeners} listening",
            )
    listed = await _list_recordings(client, args) if args.recordings else None
    planned = await scheduling.act(client, args, lambda text: _say(args, text))
    model = await _enter(client, args)
    if model is None:
        await _download(client, args)
        replayed = await replays.act(client, args, lambda text: _say(args, text))
        notices = await scheduling.wait_notices(client, args, lambda text: _say(args, text))
        if args.json:
            result = _result(client, None, listed) | planned | replayed
            print(json.dumps(result | {"notices": notices}))
        return 0
    client.event_hooks.append(lambda event: _say(args, _describe(event)))
    if args.start_recording:
        await client.request(SetRecording(on=True))
        _say(args, "started recording the room")
    await floor.set_floor_control(client, args, lambda text: _say(args, text))
    if args.raise_hand:
        await client.request(RaiseHand())
        _say(args, "raised a hand")
    if args.accept_invite:
        me = client.user_id
        wait = args.stay or 60.0
        await client.wait_until(lambda m: _invited(m, me), timeout=wait)
        await client.request(AcceptInvite())
        _say(args, "accepted the invitation to the stage")
    elif args.stay > 0 and not args.wait_notices:
        await asyncio.sleep(args.stay)
    await floor.take_floor(client, args, lambda text: _say(args, text))
    audio = None
    if args.speak or args.record or args.listen:
        audio = BotAudio(client, keep=args.record is not None, say=lambda text: _say(args, text))
        try:
            await _use_audio(audio, args)
        finally:
            await audio.close()
    if args.stop_recording:
        await client.request(SetRecording(on=False))
        _say(args, "stopped recording the room")
    if args.end_room:
        await client.request(EndRoom(replay=args.end_room))
        _say(args, f"ended the room (its recording: {args.end_room})")
    await _download(client, args)
    replayed = await replays.act(client, args, lambda text: _say(args, text))
    notices = await scheduling.wait_notices(client, args, lambda text: _say(args, text))
    if args.json:
        final = client.model or model
        await client.wait_until(lambda m: m.seq >= final.seq, timeout=5.0)
        result = _result(client, final, listed) | planned | replayed | {"notices": notices}
        if audio is not None:
            result["audio"] = audio.stats()
        print(json.dumps(result), flush=True)
    return 0


def _result(
    client: RoomClient, model: RoomModel | None, listed: list[RecordingInfo] | None
) -> dict[str, object]:
    result: dict[str, object] = {
        "user_id": client.user_id,
        "room": model.to_dict() if model is not None else None,
    }
    if listed is not None:
        result["recordings"] = msgspec.to_builtins(listed)
    return result


async def _list_recordings(client: RoomClient, args: argparse.Namespace) -> list[RecordingInfo]:
    listed = await list_recordings(client)
    for info in listed:
        _say(args, describe(info))
    if not listed:
        _say(args, "no recordings")
    return listed


async def _download(client: RoomClient, args: argparse.Namespace) -> None:
    if args.download is None:
        return
    to = args.to or Path(f"recording-{args.download}.ogg")
    size = await download(client, args.download, to)
    _say(args, f"downloaded recording {args.download} to {to} ({size} bytes)")


async def _use_audio(audio: BotAudio, args: argparse.Namespace) -> None:
    await audio.start()
    if args.speak:
        seconds = await audio.speak(args.speak)
        _say(args, f"spoke {args.speak} ({seconds:.1f} s)")
    if args.listen > 0:
        await asyncio.sleep(args.listen)
    if args.record:
        audio.save(args.record)
        _say(args, f"wrote what it heard to {args.record}")


async def _enter(client: RoomClient, args: argparse.Namespace) -> RoomModel | None:
    if args.create:
        model = await client.create_room(
            args.create, args.topic, invite_only=args.invite_only, stage_capacity=args.capacity
        )
    elif args.start:
        model = await client.start_scheduled(args.start)
    elif args.join:
        model = await client.join(args.join, args.invite)
    elif args.link:
        link = parse_link(args.link)
        model = await client.join(link.room_id, link.invite_code)
    else:
        return None
    _say(
        args,
        f"in room {model.room_id} ({model.snapshot.title!r}) as {model.role_of(client.user_id)}",
    )
    return model


def _invited(model: RoomModel, user_id: int) -> bool:
    member = model.members.get(user_id)
    return member is not None and member.invited


def _describe(event: AnyRoomEvent) -> str:
    return "event " + msgspec.json.encode(event).decode()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:
        # Many light listeners for load tests: `panggung-bot load --help`.
        from app.bot import load

        return load.main(argv[1:])
    args = parse_args(argv)
    try:
        return asyncio.run(run(args))
    except RequestFailed as exc:
        print(f"panggung-bot: the server refused: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except TimeoutError:
        print("panggung-bot: timed out waiting for the room", file=sys.stderr)
        return 1
    except (OSError, ConnectionLost) as exc:
        print(f"panggung-bot: cannot reach the server: {exc}", file=sys.stderr)
        return 1
    except RecordingError as exc:
        print(f"panggung-bot: download failed: {exc}", file=sys.stderr)
        return 1
    except LookupError as exc:  # --reschedule of a room not upcoming
        print(f"panggung-bot: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a malformed invite link
        print(f"panggung-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
