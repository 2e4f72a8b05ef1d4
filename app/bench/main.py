"""`panggung-bench`: the project's benchmarks; results go to docs/benchmarks.md."""

import argparse
import asyncio
import sys
from pathlib import Path

from app.bench import report, signaling

DEFAULT_REPORT = Path("docs/benchmarks.md")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="panggung-bench",
        description="Run a benchmark against real processes on 127.0.0.1 and print the "
        "numbers; with --write, also record them in docs/benchmarks.md.",
    )
    parser.add_argument("--write", type=Path, nargs="?", const=DEFAULT_REPORT, default=None)
    sub = parser.add_subparsers(dest="bench", required=True)
    sig = sub.add_parser("signaling", help="join storm and room-wide event cost on the server")
    sig.add_argument("--listeners", type=int, nargs="+", default=[100, 400])
    sig.add_argument("--broadcasts", type=int, default=20)
    sub.add_parser("all", help="every benchmark with its default settings")
    return parser.parse_args(argv)


def run_signaling(listeners: list[int], broadcasts: int, write: Path | None) -> None:
    results = asyncio.run(signaling.run(listeners, broadcasts))
    text = report.header("Signaling: join storm and broadcast") + "\n" + signaling.markdown(results)
    print(text)
    if write is not None:
        report.write_section(write, "signaling", text)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bench in ("signaling", "all"):
        listeners = args.listeners if args.bench == "signaling" else [100, 400]
        broadcasts = args.broadcasts if args.bench == "signaling" else 20
        run_signaling(listeners, broadcasts, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
