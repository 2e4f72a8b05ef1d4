#!/usr/bin/env bash
# Create .venv (Python 3.11+) when it is missing or broken, and install the
# project into it (editable, with the dev tools) only when pyproject.toml has
# changed since the last successful install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

VENV=.venv
STAMP=$VENV/.panggung-pyproject.sha256

# Two makes at once (an editor's and a terminal's) must not install at the
# same time: hold a lock on this script itself while working.
exec 9<scripts/ensure-venv.sh
flock 9

if ! { [[ -x $VENV/bin/python ]] && python_ok "$VENV/bin/python"; }; then
    py=$(find_python) ||
        die "no Python ${PANGGUNG_MIN_PYTHON[0]}.${PANGGUNG_MIN_PYTHON[1]}+ on PATH (scripts/ensure-system.sh installs one on Debian/Ubuntu)"
    if [[ -e $VENV ]]; then
        say "$VENV exists but its Python does not run or is too old: recreating it with $py"
    else
        say "creating $VENV with $py ($("$py" --version 2>&1))"
    fi
    "$py" -m venv --clear "$VENV"
fi

want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [[ "$want" != "$have" ]]; then
    say "installing the project and its dev tools into $VENV (pyproject.toml changed or first run; about a minute the first time)"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
        -e '.[dev]'
    printf '%s\n' "$want" >"$STAMP"
    say "installed"
fi
