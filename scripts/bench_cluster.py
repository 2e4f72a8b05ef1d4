"""`panggung-bench cluster` with a throwaway PostgreSQL (the tests' helper):
`scripts/bench_cluster.py [panggung-bench cluster options, e.g. --kills 5]`."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.bench.main import main  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

if __name__ == "__main__":
    postgres = PostgresServer.start()
    try:
        url = postgres.url(postgres.create_database())
        code = main(["cluster", "--db", url, *sys.argv[1:]])
    finally:
        postgres.stop()
    sys.exit(code)
