# Shared helpers for the setup scripts; sourced, not run.
# shellcheck shell=bash

# The oldest Python the project supports (pyproject.toml: requires-python).
PANGGUNG_MIN_PYTHON=(3 11)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# True when "$1" runs and is at least the minimum version.
python_ok() {
    "$1" -c "import sys; sys.exit(sys.version_info[:2] < (${PANGGUNG_MIN_PYTHON[0]}, ${PANGGUNG_MIN_PYTHON[1]}))" \
        >/dev/null 2>&1
}

# Print the command of the first suitable Python on PATH: the plain python3
# first, then the newest versioned one. Returns 1 when there is none.
find_python() {
    local cand
    for cand in python3 python3.14 python3.13 python3.12 python3.11; do
        if command -v "$cand" >/dev/null 2>&1 && python_ok "$cand"; then
            printf '%s\n' "$cand"
            return 0
        fi
    done
    return 1
}
