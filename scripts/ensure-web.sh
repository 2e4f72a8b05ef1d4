#!/usr/bin/env bash
# The web listener's one third-party script, hls.js (it plays a room's
# broadcast where the browser has Media Source Extensions), installed from the
# npm registry at exactly the version and integrity hash in
# packaging/web/package-lock.json and copied into the package's static files,
# so the page never loads anything from a CDN.
#
#   scripts/ensure-web.sh           required (make test, make package)
#   scripts/ensure-web.sh --optional  a warning without npm (make run: the page
#                                   still plays live audio, and native HLS)
#
# Does nothing (and touches no network) when the copy is newer than the lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

WEB=packaging/web
STATIC=app/server/web/static
TARGET=$STATIC/hls.mjs

if [[ -f "$TARGET" && "$TARGET" -nt "$WEB/package-lock.json" ]]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    [[ "${1:-}" == --optional ]] || die "npm is missing: scripts/ensure-system.sh test installs it"
    say "npm is missing: the web page will play broadcasts only where the browser has native HLS"
    exit 0
fi
exec 9<"$0"
flock 9
say "installing the web page's hls.js from $WEB/package-lock.json"
npm ci --prefix "$WEB" --ignore-scripts --no-audit --no-fund --loglevel=error
cp "$WEB/node_modules/hls.js/dist/hls.light.min.mjs" "$TARGET.part"
cp "$WEB/node_modules/hls.js/LICENSE" "$STATIC/hls.mjs.LICENSE"
mv "$TARGET.part" "$TARGET"
