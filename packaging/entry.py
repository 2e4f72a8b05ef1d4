"""The packaged `panggung` executable's entry point (PyInstaller runs this).

Handles what only a packaged build needs before the app starts:

    panggung --version         print the version and exit
    panggung --self-test       check the build without a screen (app/selftest.py)
    panggung panggung://...    open an invite link (the OS's link handler calls this)

and hands everything else to ``app.desktop_main.main``. A link goes to the
running app (`panggung join LINK`); if none runs, the app starts and gets the
link as soon as its control channel answers.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time

LINK_SCHEME = "panggung://"


def attach_console() -> None:
    """Windows: a windowed build has no stdout; use the console it was run from."""
    if sys.platform != "win32" or sys.stdout is not None:
        return
    import ctypes

    if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
        sys.stdout = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = sys.stdout


def send_link_when_ready(link: str, timeout: float = 300.0) -> None:
    from pathlib import Path

    import platformdirs

    from app.client.control import control_address, send_command

    address = control_address(Path(platformdirs.user_config_dir("panggung")))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            send_command(address, {"cmd": "join", "link": link})
            return
        except OSError:
            time.sleep(0.5)


def open_link(link: str) -> int:
    from app.desktop_main import main

    result = main(["join", link])
    if result != 2:  # 2: no app is running
        return result
    # Start the app and hand it the link once it is up.
    threading.Thread(target=send_link_when_ready, args=(link,), daemon=True).start()
    return main([])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["--version"], ["--self-test"]):
        attach_console()
    if args[:1] == ["--version"]:
        from app import __version__

        print(f"panggung {__version__}")
        return 0
    if args[:1] == ["--self-test"]:
        from app.selftest import main as self_test

        return self_test()
    if len(args) == 1 and args[0].startswith(LINK_SCHEME):
        return open_link(args[0])
    from app.desktop_main import main as desktop_main

    return desktop_main(args)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
