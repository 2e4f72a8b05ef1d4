#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Panggung needs, when they are missing.
#
#   scripts/ensure-system.sh run    what `make run` needs (the app and its server)
#   scripts/ensure-system.sh test   the above plus what `make test` needs
#
# Installs only as root or with passwordless sudo; otherwise prints the exact
# command to run and fails. Does nothing (and touches no network) when all is
# already installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# Build pyaudio (it has no Linux wheel), run Qt's xcb platform, play and record
# sound through PulseAudio's ALSA plugin; libopus for FEC and concealment.
RUN_DEBS=(
    gcc libc6-dev portaudio19-dev libopus0
    libasound2-plugins
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
    libxcb-render-util0 libxcb-image0 libegl1 libgl1 libdbus-1-3
    fonts-noto-color-emoji
)
# Tests also start their own PostgreSQL, a virtual screen with a tray host, a
# PulseAudio daemon with virtual devices, and make and measure speech; the
# fan-out benchmark's smoke test runs Janus beside Panggung; the package test
# validates the .desktop and AppStream files; the cluster tests start their
# own Redis; the broadcast tier's test runs nginx as its cache; the web listener's tests drive
# Debian's Chromium (Playwright, never a downloaded browser), run its page's
# modules under node, and make network namespaces (iproute2); the broadcast
# benchmark's mass HLS load is wrk.
TEST_DEBS=(
    "${RUN_DEBS[@]}"
    postgresql
    redis-server
    nginx
    pulseaudio pulseaudio-utils
    xvfb trayer
    espeak-ng sox
    janus
    desktop-file-utils appstream
    chromium chromium-driver nodejs iproute2
    wrk
)

case "${1:-test}" in
    run) wanted=("${RUN_DEBS[@]}") ;;
    test) wanted=("${TEST_DEBS[@]}") ;;
    *) die "usage: $0 run|test" ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install the equivalents of these yourself:"
    say "  ${wanted[*]}"
    exit 0
fi

installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

missing=()
for deb in "${wanted[@]}"; do
    # A desktop running PipeWire's PulseAudio server already has what the
    # pulseaudio package would bring, and installing it would fight PipeWire.
    if [[ "$deb" == pulseaudio ]] && installed pipewire-pulse; then
        continue
    fi
    installed "$deb" || missing+=("$deb")
done
# The web page's hls.js comes from the npm registry (scripts/ensure-web.sh).
# NodeSource's nodejs carries npm itself; Debian's splits it out.
if [[ "${1:-test}" == test ]] && ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

# The interpreter the virtualenv uses (or will use): it must be able to make a
# venv, and pyaudio's build needs its headers.
py=""
if [[ -x .venv/bin/python ]] && python_ok .venv/bin/python; then
    py=.venv/bin/python
elif py=$(find_python); then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    if ! "$py" -m venv "$tmp/venv" >/dev/null 2>&1; then
        ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        if [[ "$(command -v "$py")" == /usr/bin/python3 ]]; then
            missing+=(python3-venv)
        else
            missing+=("python$ver-venv")
        fi
    fi
else
    say "no Python ${PANGGUNG_MIN_PYTHON[0]}.${PANGGUNG_MIN_PYTHON[1]}+ on PATH"
    missing+=(python3.11 python3.11-venv python3.11-dev)
fi
if [[ -n "$py" ]] && ! "$py" -c '
import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))
'; then
    ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    base=$("$py" -c 'import sys; print(sys.base_prefix)')
    if [[ "$base" == /usr ]] && [[ "$(readlink -f /usr/bin/python3)" == "$(readlink -f "/usr/bin/python$ver")" ]]; then
        missing+=(python3-dev)
    elif [[ "$base" == /usr ]]; then
        missing+=("python$ver-dev")
    else
        die "$py has no C headers (Python.h), which building pyaudio needs; use a Python that has them"
    fi
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends --no-remove ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    say "missing Debian packages: ${missing[*]}"
    say "this script may not install them (not root, no passwordless sudo); run:"
    printf '\n    sudo sh -c '\''%s'\''\n\n' "$install_cmd" >&2
    die "then run make again"
fi

say "installing Debian packages: ${missing[*]}"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends --no-remove "${missing[@]}"
