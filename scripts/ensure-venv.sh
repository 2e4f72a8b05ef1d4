#!/usr/bin/env bash
# Make .venv hold exactly what uv.lock says (the project editable, with its dev
# tools), so every machine runs the versions the suite was run on.
#
# uv itself comes pinned by hash from scripts/uv-requirements.txt into .tools/.
# Nothing is touched (and no network is used) when uv.lock, pyproject.toml and
# the uv pin are unchanged since the last successful sync.
#
#   scripts/ensure-venv.sh          uv, then .venv synced with uv.lock
#   scripts/ensure-venv.sh --uv     only uv (what `make lock` needs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

VENV=.venv
TOOLS=.tools
UV=$TOOLS/bin/uv
UV_PIN=scripts/uv-requirements.txt
STAMP=$VENV/.panggung-lock.sha256

# Two makes at once (an editor's and a terminal's) must not install at the
# same time: hold a lock on this script itself while working.
exec 9<scripts/ensure-venv.sh
flock 9

uv_only=false
[[ "${1:-}" == --uv ]] && uv_only=true

want=$(cat uv.lock pyproject.toml "$UV_PIN" | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if ! $uv_only && [[ "$want" == "$have" ]] && [[ -x $VENV/bin/python ]] && python_ok "$VENV/bin/python"; then
    exit 0
fi

if [[ -x $VENV/bin/python ]] && python_ok "$VENV/bin/python"; then
    py=$VENV/bin/python
else
    py=$(find_python) ||
        die "no Python ${PANGGUNG_MIN_PYTHON[0]}.${PANGGUNG_MIN_PYTHON[1]}+ on PATH (scripts/ensure-system.sh installs one on Debian/Ubuntu)"
fi

uv_wanted=$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' "$UV_PIN")
if [[ "$("$UV" --version 2>/dev/null)" != "uv $uv_wanted" ]]; then
    say "installing uv $uv_wanted into $TOOLS"
    "$py" -m venv --clear "$TOOLS"
    "$TOOLS/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
        --require-hashes --no-deps -r "$UV_PIN"
fi
$uv_only && exit 0

say "syncing $VENV with uv.lock (about a minute the first time)"
rm -f "$STAMP"
# --locked: a pyproject.toml edited without `make lock` fails here, loudly,
# instead of installing something nobody tested. uv never fetches a Python.
UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=$VENV \
    "$UV" sync --locked --extra dev --python "$py" --quiet ||
    die "could not sync $VENV with uv.lock (if you changed pyproject.toml, run \`make lock\`)"
printf '%s\n' "$want" >"$STAMP"
say "installed"
