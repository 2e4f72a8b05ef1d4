"""Debian's Chromium, headless, driven by Playwright (a dev dependency; never a
downloaded browser), for the browser benchmark and the web listener's tests.

The flags keep it off the network (no background requests, updates, sync or
QUIC) and give each launch a fresh profile (Playwright makes one per launch).
`--allow-loopback-in-peer-connection` lets WebRTC gather on 127.0.0.1, which
Chromium skips otherwise; it does so only for pages allowed to enumerate
interfaces, i.e. with camera or microphone permission (`ENUMERATE`).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from playwright.async_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
]
# Granted to a context whose WebRTC should see every interface (127.0.0.1 too)
# and name its host candidates by address instead of mDNS.
ENUMERATE = ["microphone"]


class BrowserUnavailable(RuntimeError):
    pass


async def launch(playwright: Playwright, env: Mapping[str, str]) -> Browser:
    if shutil.which(str(CHROMIUM)) is None:
        raise BrowserUnavailable("chromium is missing: `make test` installs it")
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=FLAGS,
        # Playwright mutes headless Chromium; the tests listen to what it plays.
        ignore_default_args=["--mute-audio"],
        env=dict(env),
    )
