"""The command a benchmark's report names is the one that ran it."""

import importlib.util
from pathlib import Path

import pytest

from app.bench import report
from app.bench.main import DEFAULT_REPORT, parse_args

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _script_arguments() -> object:
    spec = importlib.util.spec_from_file_location("bench_common", SCRIPTS / "bench_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.arguments


def test_the_header_names_the_arguments_given_with_the_database_hidden() -> None:
    argv = ["--write", "docs/benchmarks.md", "cluster", "--db", "postgresql://u:pw@h:5/db"]
    head = report.header("Cluster", argv)
    command = "`panggung-bench --write docs/benchmarks.md cluster --db postgresql://…`"
    assert f"- Command: {command}" in head and "pw" not in head


def test_the_script_puts_write_before_the_subcommand() -> None:
    arguments = _script_arguments()
    assert callable(arguments)
    url = "postgresql://x@127.0.0.1:1/d"
    given = ["--listeners", "10", "--write", "out.md", "--kills", "2"]
    assert arguments("cluster", given, url) == [
        "--write", "out.md", "cluster", "--db", url, "--listeners", "10", "--kills", "2",
    ]  # fmt: skip
    assert arguments("cluster", ["--write", "--kills", "2"], url) == [
        "--write", "cluster", "--db", url, "--kills", "2",
    ]  # fmt: skip
    assert arguments("cluster", ["--kills", "2"], url) == ["cluster", "--db", url, "--kills", "2"]
    assert arguments("broadcast", ["--signaling", "10", "--write"], url) == [
        "--write", "broadcast", "--db", url, "--signaling", "10",
    ]  # fmt: skip


@pytest.mark.parametrize("bench", ["broadcast", "cluster"])
def test_each_script_runs_its_own_subcommand(bench: str) -> None:
    text = (SCRIPTS / f"bench_{bench}.py").read_text()
    assert f'run_with_postgres("{bench}", sys.argv[1:])' in text


@pytest.mark.parametrize("bench", ["fanout", "all", "cluster"])
def test_a_bare_write_before_the_subcommand_leaves_the_subcommand_alone(bench: str) -> None:
    extra = ["--db", "postgresql://x@127.0.0.1:1/d"] if bench == "cluster" else []
    args = parse_args(["--write", bench, *extra])
    assert args.bench == bench and args.write == DEFAULT_REPORT
    if bench == "fanout":
        args = parse_args(["--write", "fanout", "--listeners", "10", "20", "--seconds", "2"])
        assert (args.write, args.listeners, args.seconds) == (DEFAULT_REPORT, [10, 20], 2.0)


def test_write_takes_a_path_before_and_after_the_subcommand() -> None:
    assert parse_args(["--write", "out.md", "fanout"]).write == Path("out.md")
    assert parse_args(["--write=fanout", "voice"]).write == Path("fanout")  # said outright
    assert parse_args(["fanout", "--write", "out.md"]).write == Path("out.md")
    assert parse_args(["fanout", "--write"]).write == DEFAULT_REPORT
    assert parse_args(["fanout"]).write is None
    # Before the subcommand and again after it: the sub-parser's wins (as before).
    assert parse_args(["--write", "voice", "--write", "b.md"]).write == Path("b.md")


def test_the_scripts_arguments_parse_with_a_bare_write() -> None:
    arguments = _script_arguments()
    assert callable(arguments)
    url = "postgresql://x@127.0.0.1:1/d"
    args = parse_args(arguments("broadcast", ["--write", "--signaling", "10"], url))
    assert (args.bench, args.write, args.db, args.signaling) == (
        "broadcast",
        DEFAULT_REPORT,
        url,
        10,
    )
