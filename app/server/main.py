"""`panggung-server`: the room server, from the command line."""

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from app import __version__, loops
from app.server.app import ServerConfig, start_server
from app.server.collector import CollectorPolicy
from app.server.demo import join_hint, open_demo
from app.server.store import default_db_url
from app.server.voice_rooms import PERSONAL_MIXES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="panggung-server",
        description="Panggung room server: HTTP and WebSocket in one process. "
        "Prints the WebSocket URL as its first line of output.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument(
        "--db",
        default=None,
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
        "(default: SQLite in the user data directory)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=120.0,
        help="seconds a dropped participant keeps their place (default 120)",
    )
    parser.add_argument(
        "--public-address", default=None, help="host[:port] to write into invite links"
    )
    parser.add_argument(
        "--media-address",
        action="append",
        default=None,
        metavar="ADDR",
        help="address to offer audio on (repeatable; default: 127.0.0.1 when --host is "
        "loopback, else every interface)",
    )
    parser.add_argument(
        "--ice-server",
        action="append",
        default=[],
        metavar="URL",
        help="STUN/TURN server for audio (repeatable; default: none)",
    )
    parser.add_argument(
        "--recordings",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory for room recordings (default: recordings/ next to the SQLite "
        "database; with PostgreSQL, recordings/ in the user data directory)",
    )
    parser.add_argument(
        "--hls-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory for the broadcast tier's live HLS files, written while someone "
        "listens at /hls/ROOM/index.m3u8 (default: hls/ beside the recordings)",
    )
    parser.add_argument(
        "--webrtc-capacity",
        type=_count,
        default=None,
        metavar="N",
        help="live (WebRTC) audio links this server gives, over all rooms; past it new "
        "listeners are sent to the room's broadcast (HLS, a few seconds behind), while "
        "the stage and listeners invited to it always get a live link (default: no limit)",
    )
    parser.add_argument(
        "--personal-mixes",
        type=_count,
        default=PERSONAL_MIXES,
        metavar="N",
        help="members per room who may set per-speaker volumes (each costs the server one "
        f"Opus encode every 20 ms; 0 turns the feature off; default: {PERSONAL_MIXES})",
    )
    parser.add_argument(
        "--no-media", action="store_true", help="signaling only, no audio (and no recording)"
    )
    parser.add_argument(
        "--no-audience-lane",
        action="store_true",
        help="read and handle every request as it comes, the stage's not ahead of the "
        "audience's (for measuring the lane and the read gate)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="open connections at most; more are refused with 503 "
        "(default: the open file limit less a reserve)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="a connection must send a whole request within this long (default 15)",
    )
    parser.add_argument(
        "--db-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long one database operation may take before it fails (default 5)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin (https://example.com) allowed to open /ws from a browser "
        "(repeatable; '*' allows any; default: none, only clients that send no Origin)",
    )
    parser.add_argument(
        "--join-rate",
        type=float,
        default=300.0,
        metavar="N",
        help="joins admitted per second; more wait their turn or are told when to retry "
        "(default 300)",
    )
    parser.add_argument(
        "--cluster",
        default=None,
        metavar="redis://HOST:PORT/N",
        help="run as a node of a cluster sharing rooms through this Redis "
        "(needs --db postgresql://...; see docs/cluster.md)",
    )
    parser.add_argument(
        "--node-name", default=None, help="this node's name in the cluster (default: host name)"
    )
    parser.add_argument(
        "--node-address",
        default=None,
        metavar="HOST:PORT",
        help="where the other nodes reach this one's HTTP (they fetch its rooms' HLS "
        "there); default: --host and the port it listens on",
    )
    parser.add_argument(
        "--cluster-prefix",
        default="panggung",
        metavar="NAME",
        help="the cluster's key namespace in Redis, to run several clusters on one Redis "
        "(default panggung)",
    )
    parser.add_argument(
        "--loop",
        choices=loops.CHOICES,
        default=None,
        help=f"event loop (also ${loops.ENV}): asyncio's own (the default), uvloop (faster "
        "per frame; not on Windows; its refusals at the descriptor limit do not reach "
        "clients yet), or auto (uvloop where installed)",
    )
    parser.add_argument("--demo", action="store_true", help="keep a live demo room open")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    parser.add_argument("--version", action="version", version=f"panggung-server {__version__}")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    config = ServerConfig(
        db_url=args.db or default_db_url(),
        host=args.host,
        port=args.port,
        grace_period=args.grace,
        public_address=args.public_address,
        media=not args.no_media,
        media_addresses=tuple(args.media_address) if args.media_address else None,
        ice_servers=tuple(args.ice_server),
        recordings_dir=args.recordings,
        hls_dir=args.hls_dir,
        webrtc_capacity=args.webrtc_capacity,
        personal_mixes=args.personal_mixes,
        max_connections=args.max_connections,
        request_timeout=args.request_timeout,
        db_timeout=args.db_timeout,
        allowed_origins=tuple(args.allow_origin),
        join_rate=args.join_rate,
        audience_lane=not args.no_audience_lane,
        cluster_url=args.cluster,
        node_name=args.node_name,
        node_address=args.node_address,
        cluster_settings={"prefix": args.cluster_prefix},
    )
    server = await start_server(config)
    # A process-wide setting, so here and not in start_server (tests and the
    # desktop's embedded server share their process with other work).
    collector = asyncio.get_running_loop().create_task(CollectorPolicy().run())
    print(server.url, flush=True)
    if args.demo:
        room_id = await open_demo(server)
        print(
            f"Demo room is live: {room_id}\n"
            f"Join it from another terminal (the demo host brings you up):\n"
            f"  {join_hint(server.url, room_id)}",
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if hasattr(signal, "SIGUSR1"):  # a benchmark starts a phase's timings afresh
        loop.add_signal_handler(signal.SIGUSR1, server.reset_timings)
    await stop.wait()
    logging.getLogger(__name__).info("shutting down")
    collector.cancel()
    await server.stop()


def media_problem() -> str | None:
    """aiortc/aioice without the internals the media plane uses: say so now, not mid-room."""
    from app.hookcheck import UnsupportedLibrary
    from app.media.aiortc_hooks import check

    try:
        check()
    except UnsupportedLibrary as exc:
        return str(exc)
    return None


def _count(text: str) -> int:
    """A whole number >= 0 for argparse, refused with a message that says so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cluster is not None and not (args.db or "").startswith("postgresql"):
        print(
            "panggung-server: --cluster needs --db postgresql://...: every node must share "
            "the same database, and SQLite is a file on one machine",
            file=sys.stderr,
        )
        return 2
    problem = None if args.no_media else media_problem()
    if problem is not None:
        print(f"panggung-server: {problem} (or run with --no-media)", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        loops.run(serve(args), args.loop, default="asyncio")
    except loops.LoopUnavailable as exc:
        print(f"panggung-server: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"panggung-server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
