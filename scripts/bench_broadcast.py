"""`panggung-bench broadcast` with a throwaway PostgreSQL (the tests' helper):
`scripts/bench_broadcast.py [panggung-bench broadcast options, e.g. --signaling 10000]`."""

import sys

# The script's own folder is on sys.path: it is run as a script.
from bench_common import run_with_postgres

if __name__ == "__main__":
    sys.exit(run_with_postgres("broadcast", sys.argv[1:]))
