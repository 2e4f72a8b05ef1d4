"""`panggung-bench cluster` with a throwaway PostgreSQL (the tests' helper):
`scripts/bench_cluster.py [panggung-bench cluster options, e.g. --kills 5]`."""

import sys

# The script's own folder is on sys.path: it is run as a script.
from bench_common import run_with_postgres

if __name__ == "__main__":
    sys.exit(run_with_postgres("cluster", sys.argv[1:]))
