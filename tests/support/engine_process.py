"""What the throwaway engines for tests (Redis, PostgreSQL, nginx) share.

Each engine runs from its own temp dir named with a prefix, holding the pid of
the test process that owns it. A test process killed without cleaning up
leaves that dir (and maybe the engine) behind; the next start reaps it.
"""

import contextlib
import os
import signal
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"
OWNER_FILE = "owner.pid"  # the pid of the test process that started the engine


def free_port() -> int:
    """A TCP port free on HOST now (it can be taken before the engine binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def make_root(prefix: str) -> Path:
    """A new temp dir for one engine, marked as this process's."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    (root / OWNER_FILE).write_text(str(os.getpid()))
    return root


def orphaned_roots(prefix: str) -> Iterator[Path]:
    """The dirs of engines whose test process is gone."""
    for root in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # still being set up, or not ours
        if not alive(owner):
            yield root


def signal_if_named(pid_file: Path, name: str, sig: signal.Signals) -> None:
    """Signal the pid in `pid_file` only if that process is still `name`: pids get reused."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().split()[0])
        if name in Path(f"/proc/{pid}/comm").read_text():
            os.kill(pid, sig)
