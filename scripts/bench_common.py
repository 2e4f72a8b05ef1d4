"""What scripts/bench_broadcast.py and scripts/bench_cluster.py share: run a
`panggung-bench` subcommand that needs `--db` against a throwaway PostgreSQL
(the tests' helper)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.bench.main import main  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402


def arguments(subcommand: str, given: list[str], db_url: str) -> list[str]:
    """panggung-bench's arguments: `--write [PATH]` (an option of panggung-bench
    itself) before the subcommand, as the documented command has it, the rest
    after `SUBCOMMAND --db URL`."""
    rest = list(given)
    front: list[str] = []
    if "--write" in rest:
        at = rest.index("--write")
        end = at + 2 if at + 1 < len(rest) and not rest[at + 1].startswith("-") else at + 1
        front, rest[at:end] = rest[at:end], []
    return [*front, subcommand, "--db", db_url, *rest]


def run_with_postgres(subcommand: str, given: list[str]) -> int:
    """`panggung-bench [--write [PATH]] SUBCOMMAND --db URL ...` on a new database
    of a PostgreSQL started for it, stopped after."""
    postgres = PostgresServer.start()
    try:
        url = postgres.url(postgres.create_database())
        return main(arguments(subcommand, given, url))
    finally:
        postgres.stop()
