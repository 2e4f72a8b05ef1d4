"""``panggung --self-test``: does this installation (or packaged build) work?

Starts without a screen (offscreen Qt) and checks, one by one, that Qt,
aiortc with libsrtp, PyAV's Opus encoder and decoder, PortAudio, the keyring
backends for this OS, the embedded server and the shipped resources load and
work; prints a line per check and exits 0 only if every check passed. Each
check imports what it tests itself, so that a missing native library shows
up as that check's failure instead of a crash.

    python -m app.selftest        # from a clone
    panggung --self-test          # a packaged build (packaging/entry.py)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import entry_points, version
from pathlib import Path

from app import __version__
from app.resources import app_icon_path, resources_dir

# keyring's entry-point names of the backends each OS should carry.
KEYRING_BACKENDS = {
    "linux": {"SecretService", "KWallet"},
    "darwin": {"macOS"},
    "win32": {"Windows"},
}


def check_qt() -> str:
    from app.ui.selftest_qt import check_qt as qt

    translations = sorted((resources_dir() / "translations").glob("*.qm"))
    return qt(app_icon_path(), translations)


def check_qt_refcount() -> str:
    from app.ui.qt_refcount import check_none_refcount

    return check_none_refcount()


def check_hooks() -> str:
    """Every library whose internals we use still has them (app/hookcheck.py)."""
    from app.media.aiortc_hooks import check as aiortc
    from app.ui.qasync_hooks import check as qasync

    parts = [qasync(), aiortc()]
    try:
        from app.client.pynput_hooks import check as pynput

        parts.append(pynput())
    except ImportError:  # pynput needs a display to import; the hotkey checks at start
        parts.append("pynput: not checked here (no display)")
    return "; ".join(parts)


def startup_problems() -> list[str]:
    """What the app checks before opening its window (needs a QApplication):
    a Qt that leaks None and a library whose hooks moved would both fail
    later and obscurely; here they fail at once, saying what to install."""
    from app.hookcheck import UnsupportedLibrary

    problems: list[str] = []
    from app.media.aiortc_hooks import check as aiortc
    from app.ui.qasync_hooks import check as qasync

    # pynput is left to the hotkey, which checks it when (and only if) it starts.
    for check in (check_qt_refcount, qasync, aiortc):
        try:
            check()
        except (RuntimeError, UnsupportedLibrary) as exc:
            problems.append(str(exc))
    return problems


def check_aiortc() -> str:
    from app.media.stack_check import check_aiortc as check

    return check()


def check_srtp() -> str:
    from app.media.stack_check import check_srtp as check

    return check()


def check_opus() -> str:
    from app.media.stack_check import check_opus as check

    return check()


def check_portaudio() -> str:
    from app.audio.sound_check import check_portaudio as check

    return check()


def check_voice_processing() -> str:
    from app.audio.sound_check import check_voice_processing as check

    return check()


def check_keyring() -> str:
    import keyring
    from keyring.backends import fail, null

    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    wanted = KEYRING_BACKENDS.get(platform, set())
    found = {ep.name: ep for ep in entry_points(group="keyring.backends")}
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"keyring backends not bundled: {', '.join(sorted(missing))}")
    for name in sorted(wanted):
        found[name].load()
    backend = keyring.get_keyring()
    usable = not isinstance(backend, fail.Keyring | null.Keyring)
    active = f"{type(backend).__module__}.{type(backend).__name__}"
    note = "" if usable else " (none usable here: the app keeps its token in memory)"
    return (
        f"keyring {version('keyring')}: backends {', '.join(sorted(wanted))} load; "
        f"active {active}{note}"
    )


def check_server() -> str:
    from app.server.app import ServerConfig, start_server

    async def start_and_stop(db: Path) -> str:
        server = await start_server(
            ServerConfig(db_url=f"sqlite:///{db}", host="127.0.0.1", port=0)
        )
        try:
            return server.url
        finally:
            await server.stop()

    with tempfile.TemporaryDirectory(prefix="panggung-selftest-") as tmp:
        url = asyncio.run(start_and_stop(Path(tmp) / "rooms.db"))
    return f"embedded server started on {url} (SQLite, migrations applied) and stopped"


def check_resources() -> str:
    root = resources_dir()
    icon = app_icon_path()
    if not icon.is_file():
        raise RuntimeError(f"no app icon at {icon}")
    files = [p for p in root.rglob("*") if p.is_file()]
    return f"{len(files)} files in {root}"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("qt", check_qt),
    ("qt-refcount", check_qt_refcount),
    ("hooks", check_hooks),
    ("aiortc", check_aiortc),
    ("srtp", check_srtp),
    ("opus", check_opus),
    ("portaudio", check_portaudio),
    ("voice-processing", check_voice_processing),
    ("keyring", check_keyring),
    ("server", check_server),
    ("resources", check_resources),
]


def run(out: Callable[[str], None] = print) -> int:
    """Run every check, print one line each; 0 if all passed, else 1."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    frozen = "packaged build" if getattr(sys, "frozen", False) else "from source"
    python = sys.version.split()[0]
    out(f"panggung {__version__} self-test ({frozen}, Python {python}, {sys.platform})")
    failed: list[str] = []
    for name, check in CHECKS:
        start = time.monotonic()
        try:
            detail = check()
        except Exception as exc:  # every failure is reported, then the next check runs
            failed.append(name)
            out(f"FAIL {name}: {type(exc).__name__}: {exc}")
            continue
        out(f"ok   {name}: {detail} [{time.monotonic() - start:.2f} s]")
    if failed:
        out(f"self-test FAILED: {', '.join(failed)}")
        return 1
    out(f"self-test passed: {len(CHECKS)} checks")
    return 0


def main() -> int:
    result = run(lambda line: print(line, flush=True))
    return result


if __name__ == "__main__":
    sys.exit(main())
