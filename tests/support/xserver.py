"""A private X server (Xvfb) for tests, and a tray host (trayer) on it.

Xvfb picks a free display number itself (-displayfd) and writes it once it
accepts clients, so parallel tests never race for a number.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator


class XUnavailable(RuntimeError):
    pass


@contextlib.contextmanager
def xvfb(size: str = "1280x800x24", tray: bool = False) -> Iterator[str]:
    """Yield the display (":N") of a fresh Xvfb, with trayer on it if `tray`."""
    needed = ["Xvfb", "trayer"] if tray else ["Xvfb"]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        raise XUnavailable(f"{', '.join(missing)} missing: `make test` installs them")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    procs = [server]
    try:
        number = b""
        with os.fdopen(read, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n"):
                ready, _, _ = select.select([pipe], [], [], 30)
                chunk = pipe.read(16) if ready else b""
                if not chunk:
                    raise XUnavailable("Xvfb did not start")
                number += chunk
        display = ":" + number.decode().strip()
        if tray:
            procs.append(
                subprocess.Popen(
                    ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request"],
                    env=dict(os.environ, DISPLAY=display),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            time.sleep(1.0)  # trayer claims the tray selection
        yield display
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
