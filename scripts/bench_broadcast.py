"""`panggung-bench broadcast` with a throwaway PostgreSQL (the tests' helper):
`scripts/bench_broadcast.py [panggung-bench broadcast options, e.g. --signaling 10000]`."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.bench.main import main  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402


def arguments(given: list[str], db_url: str) -> list[str]:
    """As scripts/bench_cluster.py: `--write [PATH]` before the subcommand."""
    rest = list(given)
    front: list[str] = []
    if "--write" in rest:
        at = rest.index("--write")
        end = at + 2 if at + 1 < len(rest) and not rest[at + 1].startswith("-") else at + 1
        front, rest[at:end] = rest[at:end], []
    return [*front, "broadcast", "--db", db_url, *rest]


if __name__ == "__main__":
    postgres = PostgresServer.start()
    try:
        url = postgres.url(postgres.create_database())
        code = main(arguments(sys.argv[1:], url))
    finally:
        postgres.stop()
    sys.exit(code)
