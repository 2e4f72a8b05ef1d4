"""`panggung-bench`: the project's benchmarks; results go to docs/benchmarks.md."""

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

from app.bench import (
    app_cost,
    broadcast,
    broadcast_report,
    browser_latency,
    cluster,
    devices,
    fanout,
    janus_report,
    latency,
    report,
    signaling,
    voice,
)

DEFAULT_REPORT = Path("docs/benchmarks.md")


def _add_write(parser: argparse.ArgumentParser, default: object) -> None:
    # Accepted before and after the subcommand; SUPPRESS keeps the sub-parser
    # from overwriting a value given before it.
    parser.add_argument(
        "--write",
        type=Path,
        nargs="?",
        const=DEFAULT_REPORT,
        default=default,
        help=f"also record the results in this file (default {DEFAULT_REPORT})",
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="panggung-bench",
        description="Run a benchmark against real processes on 127.0.0.1 and print the "
        "numbers; with --write, also record them in docs/benchmarks.md.",
    )
    _add_write(parser, None)
    sub = parser.add_subparsers(dest="bench", required=True)
    sig = sub.add_parser(
        "signaling",
        help="audience-scale signaling: join and reaction storms of N listeners in one room",
    )
    sig.add_argument("--listeners", type=int, nargs="+", default=[1000, 5000, 15000])
    sig.add_argument(
        "--join-rate", type=float, default=None, help="the server's --join-rate (default its own)"
    )
    sig.add_argument(
        "--no-lane",
        action="store_true",
        help="run the server with --no-audience-lane (to measure what the lane does)",
    )
    sig.add_argument(
        "--loop",
        nargs="+",
        choices=("asyncio", "uvloop"),
        default=None,
        help="the event loop of the server and the load processes (default theirs: uvloop "
        "where installed); two of them measure each size on both in turn (an A/B in one run)",
    )
    fan = sub.add_parser(
        "fanout", help="media server CPU per delivered packet: Panggung beside Janus Streaming"
    )
    fan.add_argument("--listeners", type=int, nargs="+", default=[500])
    fan.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    fan.add_argument("--procs", type=int, default=2, help="listener worker processes")
    fan.add_argument("--warmup", type=float, default=3.0)
    lat = sub.add_parser("latency", help="mouth-to-ear latency of a click train via the server")
    lat.add_argument("--clicks", type=int, default=100)
    lat.add_argument("--interval", type=float, default=0.3, help="seconds between clicks")
    web = sub.add_parser(
        "browser-latency",
        help="mouth-to-ear latency of a click train to the web listener in headless Chromium "
        "(needs root: a private network namespace)",
    )
    web.add_argument("--clicks", type=int, default=50)
    web.add_argument("--interval", type=float, default=0.3, help="seconds between clicks")
    dev = sub.add_parser(
        "devices",
        help="mouth-to-ear latency through (virtual) sound devices, and a listening "
        "client's memory and CPU",
    )
    dev.add_argument("--seconds", type=float, default=60.0, help="talking-room window")
    dev.add_argument("--interval", type=float, default=0.5, help="seconds between clicks")
    voc = sub.add_parser(
        "voice",
        help="voice quality on real speech: echo, noise, processing cost, loss with FEC on/off",
    )
    voc.add_argument("--repeats", type=int, default=1, help="runs of each loss condition")
    clu = sub.add_parser(
        "cluster",
        help="three cluster nodes: per-join CPU per node, Redis commands per room event, "
        "failover over kill -9 runs (starts its own redis-server; needs --db)",
    )
    clu.add_argument("--db", required=True, help="postgresql://... (an empty database)")
    clu.add_argument("--listeners", type=int, nargs="+", default=[300, 900])
    clu.add_argument("--kills", type=int, default=10)
    clu.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds of wall time: no kill run starts after it (the rest are reported as not run)",
    )
    bro = sub.add_parser(
        "broadcast",
        help="one origin and two edge nodes with media: CPU per WebRTC listener on an edge, "
        "the origin's cost per edge, CPU per HLS client (starts its own redis-server; needs --db)",
    )
    bro.add_argument("--db", required=True, help="postgresql://... (an empty database)")
    bro.add_argument("--listeners", type=int, default=40, help="light WebRTC listeners per edge")
    bro.add_argument(
        "--hls", type=int, default=50, help="HLS clients polling the origin directly (uncached)"
    )
    bro.add_argument("--cached", type=int, default=1000, help="HLS players polling through nginx")
    bro.add_argument(
        "--signaling",
        type=int,
        default=0,
        help="signaling-only listeners joined for the mixed load (0: no mixed load)",
    )
    bro.add_argument(
        "--mass-hls",
        type=int,
        default=0,
        help="HLS connections (wrk) through nginx in the mixed load, beside --cached",
    )
    bro.add_argument("--markers", type=int, default=6, help="pitch markers for the HLS delay")
    bro.add_argument("--switches", type=int, default=3, help="stage switches timed")
    bro.add_argument("--seconds", type=float, default=10.0, help="each phase's window")
    app_ = sub.add_parser(
        "app", help="CPU and RSS of the real desktop app listening, window open and in the tray"
    )
    app_.add_argument("--seconds", type=float, default=120.0, help="measurement window each")
    app_.add_argument("--warmup", type=float, default=30.0)
    all_ = sub.add_parser("all", help="every benchmark with its default settings")
    for p in (sig, fan, lat, web, dev, voc, clu, bro, app_, all_):
        _add_write(p, argparse.SUPPRESS)
    given = sys.argv[1:] if argv is None else argv
    return parser.parse_args(_bare_write(given, set(sub.choices)))


def _bare_write(argv: list[str], benches: set[str]) -> list[str]:
    """`--write` given bare before the subcommand (`--write fanout ...`): argparse
    would take the subcommand's name for its PATH and then miss the subcommand;
    it is the bare flag (DEFAULT_REPORT) there. `--write PATH` and `--write=...`
    are left as they are, and so is everything from the subcommand on."""
    for at, arg in enumerate(argv):
        if arg in benches:
            break  # the subcommand: the rest is its own
        if arg == "--write" and at + 1 < len(argv) and argv[at + 1] in benches:
            return [*argv[:at], f"--write={DEFAULT_REPORT}", *argv[at + 1 :]]
    return list(argv)


def run_signaling(
    listeners: list[int],
    join_rate: float | None,
    write: Path | None,
    no_lane: bool = False,
    loops: list[str] | None = None,
) -> None:
    results = asyncio.run(
        signaling.run(
            listeners,
            join_rate,
            progress=lambda r: print(json.dumps(asdict(r)), flush=True),
            options=["--no-audience-lane"] if no_lane else [],
            loops=list(loops) if loops else [None],
        )
    )
    text = (
        report.header("Signaling: an audience of thousands in one room")
        + "\n"
        + signaling.markdown(results)
    )
    print(text)
    if write is not None:
        report.write_section(write, "signaling", text)


def run_fanout(
    listeners: list[int], seconds: float, procs: int, warmup: float, write: Path | None
) -> None:
    done: list[fanout.FanoutResult] = []

    def section(results: list[fanout.FanoutResult]) -> str:
        return (
            report.header("Fan-out: Panggung beside Janus Streaming")
            + "\n"
            + janus_report.markdown(results)
        )

    def progress(result: fanout.FanoutResult) -> None:
        print(asdict(result), flush=True)
        done.append(result)
        # A long run (thousands of listeners on a loaded machine) keeps what it
        # measured so far if a later size fails or is stopped.
        if write is not None:
            report.write_section(write, "fanout", section(done))

    results = asyncio.run(fanout.compare(listeners, procs, seconds, warmup, progress=progress))
    text = section(results)
    print(text)
    if write is not None:
        report.write_section(write, "fanout", text)


def run_latency(clicks: int, interval: float, write: Path | None) -> None:
    result = asyncio.run(latency.run(clicks, interval))
    text = report.header("Latency: mouth to ear on loopback") + "\n" + latency.markdown(result)
    print(text)
    if write is not None:
        report.write_section(write, "latency", text)


def run_browser_latency(clicks: int, interval: float, write: Path | None) -> None:
    result = asyncio.run(browser_latency.run(clicks, interval))
    text = (
        report.header("Browser latency: mouth to ear, to the web listener in Chromium")
        + "\n"
        + browser_latency.markdown(result)
    )
    print(text)
    if write is not None:
        report.write_section(write, "browser-latency", text)


def run_devices(seconds: float, interval: float, write: Path | None) -> None:
    result = asyncio.run(devices.run(seconds, interval))
    summary = {
        "p50_ms": result.percentile(50),
        "p95_ms": result.percentile(95),
        "sent": result.sent,
        "matched": len(result.latencies_ms),
        "rss_mb": result.rss_mb_max,
        "cpu_percent": result.cpu_percent,
    }
    print(json.dumps(summary), flush=True)
    text = (
        report.header("Sound devices: mouth to ear, and a listening client's cost")
        + "\n"
        + devices.markdown(result)
    )
    print(text)
    if write is not None:
        report.write_section(write, "devices", text)


def run_voice(repeats: int, write: Path | None) -> None:
    result = asyncio.run(voice.run(repeats))
    print(json.dumps(voice.summary(result)), flush=True)
    text = (
        report.header("Voice: echo, noise, processing cost, loss and FEC")
        + "\n"
        + voice.markdown(result)
    )
    print(text)
    if write is not None:
        report.write_section(write, "voice", text)


def run_cluster(
    db: str,
    listeners: list[int],
    kills: int,
    write: Path | None,
    argv: list[str],
    budget: float | None = None,
) -> None:
    process, port, _ = cluster.start_redis()
    try:
        result = asyncio.run(cluster.run(db, port, listeners, kills, budget=budget))
    finally:
        process.terminate()
        process.wait()
    text = report.header("Cluster: three nodes, one room", argv) + "\n" + cluster.markdown(result)
    print(text)
    if write is not None:
        report.write_section(write, "cluster", text)


def run_broadcast(db: str, options: broadcast.Options, write: Path | None, argv: list[str]) -> None:
    process, port, _ = cluster.start_redis()
    try:
        result = asyncio.run(broadcast.run(db, port, options))
    finally:
        process.terminate()
        process.wait()
    title = "Broadcast tier: one origin, two edges, WebRTC and HLS listeners"
    text = report.header(title, argv) + "\n" + broadcast_report.markdown(result)
    print(text)
    if write is not None:
        report.write_section(write, "broadcast", text)


def run_app(seconds: float, warmup: float, write: Path | None) -> None:
    result = asyncio.run(app_cost.run(seconds, warmup))
    print(json.dumps(asdict(result)), flush=True)
    text = (
        report.header("The desktop app listening: CPU and memory, window open and in the tray")
        + "\n"
        + app_cost.markdown(result)
    )
    print(text)
    if write is not None:
        report.write_section(write, "app", text)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bench == "cluster":
        # The arguments as given: called from scripts/bench_cluster.py they are
        # not this process's (which lack `cluster --db`).
        given = sys.argv[1:] if argv is None else argv
        run_cluster(args.db, args.listeners, args.kills, args.write, given, args.budget)
    if args.bench == "broadcast":
        given = sys.argv[1:] if argv is None else argv
        options = broadcast.Options(
            per_edge=args.listeners,
            hls=args.hls,
            cached=args.cached,
            signaling=args.signaling,
            mass_hls=args.mass_hls,
            seconds=args.seconds,
            markers=args.markers,
            switches=args.switches,
        )
        run_broadcast(args.db, options, args.write, given)
    if args.bench in ("signaling", "all"):
        listeners = args.listeners if args.bench == "signaling" else [1000, 5000, 15000]
        join_rate = args.join_rate if args.bench == "signaling" else None
        no_lane = args.bench == "signaling" and args.no_lane
        loops = args.loop if args.bench == "signaling" else None
        run_signaling(listeners, join_rate, args.write, no_lane, loops)
    if args.bench in ("latency", "all"):
        if args.bench == "latency":
            run_latency(args.clicks, args.interval, args.write)
        else:
            run_latency(100, 0.3, args.write)
    if args.bench == "browser-latency":
        run_browser_latency(args.clicks, args.interval, args.write)
    if args.bench in ("devices", "all"):
        if args.bench == "devices":
            run_devices(args.seconds, args.interval, args.write)
        else:
            run_devices(60.0, 0.5, args.write)
    if args.bench in ("voice", "all"):
        run_voice(args.repeats if args.bench == "voice" else 1, args.write)
    if args.bench in ("app", "all"):
        if args.bench == "app":
            run_app(args.seconds, args.warmup, args.write)
        else:
            run_app(120.0, 30.0, args.write)
    if args.bench in ("fanout", "all"):
        if args.bench == "fanout":
            run_fanout(args.listeners, args.seconds, args.procs, args.warmup, args.write)
        else:
            run_fanout([500], 10.0, 2, 3.0, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
