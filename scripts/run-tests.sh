#!/usr/bin/env bash
# The pytest part of `make test`, in three sessions:
#   - the soak tests (tests/soak: the real app and the real server, each
#     running for $PANGGUNG_SOAK_SECONDS, 600 by default), started first and
#     run in the background beside the others, so the suite takes about as
#     long as the soak instead of the soak plus everything else;
#   - everything else without pytest-qt;
#   - the Qt tests (tests/ui) in their own processes: a QApplication lives as
#     long as its process, and pytest-qt pumps its events after every test,
#     so sharing workers would let one test's Qt leftovers fire in another's.
# Fails if any of them failed; pytest's exit 5 (no tests collected) too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
read -r -a args <<<"${PYTEST_ARGS:--n 2}"
mkdir -p build
soak_log=build/soak.log

# Its own session (setsid), so that an early failure can stop all of it.
setsid "$PY" -m pytest -n 2 -p no:pytestqt -rP tests/soak >"$soak_log" 2>&1 &
soak=$!
trap 'kill -- -"$soak" 2>/dev/null || true' EXIT

# A Qt worker that crashes leaves a core (on for that session only, in this
# directory): its native stacks are printed last, where CI's tail shows them
# (faulthandler shows only the Python ones), and the core is deleted.
native_stacks() {
    local core
    for core in core core.[0-9]*; do
        [[ -f $core ]] || continue
        if command -v gdb >/dev/null; then
            echo "make test: native stacks of a crashed process ($core):" >&2
            gdb -q -batch -ex "thread apply all bt 12" -ex "echo \n-- the thread that crashed:\n" \
                -ex "bt 30" "$(readlink -f "$PY")" "$core" 2>&1 |
                grep -v -e '^\[New LWP' -e '^warning:' | tail -n 250 >&2 || true
        fi
        rm -f "$core"
    done
}

check() {  # name, exit code
    if [[ $2 -eq 5 ]]; then
        echo "make test: pytest collected no tests ($1)" >&2
        exit 1
    elif [[ $2 -ne 0 ]]; then
        exit "$2"
    fi
}

rc=0; "$PY" -m pytest "${args[@]}" -p no:pytestqt --ignore=tests/ui --ignore=tests/soak || rc=$?
check "tests except ui and soak" $rc
# Timeouts by thread: under qasync, the signal method's exception is raised
# inside a Qt timer's callback and the loop swallows it, so a hung test hung
# the session; the thread method dumps the stacks and ends the worker.
rc=0; (ulimit -c unlimited; exec "$PY" -m pytest "${args[@]}" --timeout-method=thread tests/ui) || rc=$?
[[ $rc -eq 0 ]] || native_stacks
check tests/ui $rc

echo "make test: waiting for the soak tests (log: $soak_log)"
rc=0; wait "$soak" || rc=$?
trap - EXIT
# The figures each soak measured, then pytest's verdict.
sed -n '/Captured stdout call/,/^[=_]/p' "$soak_log" | grep -v '^[-=_]' || true
tail -n 1 "$soak_log"
if [[ $rc -ne 0 ]]; then
    tail -n 200 "$soak_log" >&2
fi
check tests/soak $rc
