"""The local control socket: `panggung ptt press|release|toggle` and
`panggung status` reach the running app through it.

One JSON line in, one JSON line out, over a Unix socket that only this user
may open. Its path derives from the config directory, so that several
instances (tests, a second profile) each have their own. Qt-free: the app
serves it on its asyncio loop, the command line uses a plain socket.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, object]], Awaitable[dict[str, object]]]
MAX_LINE = 64 * 1024


def socket_path(config_dir: Path) -> Path:
    """A short path (Unix sockets allow ~100 bytes) unique to the config dir."""
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:16]
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"panggung-{os.getuid()}-{digest}.sock"


class ControlServer:
    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self._handler = handler
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        if self.path.exists():
            if _answers(self.path):
                raise RuntimeError(f"another Panggung is running with this config ({self.path})")
            self.path.unlink()  # left over from a crash
        old = os.umask(0o177)  # the socket is created 0600: this user only
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_LINE
            )
        finally:
            os.umask(old)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
            try:
                command = json.loads(line)
                if not isinstance(command, dict):
                    raise ValueError("not an object")
                reply = await self._handler(command)
            except ValueError as exc:
                reply = {"ok": False, "error": f"bad command: {exc}"}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (OSError, TimeoutError, asyncio.LimitOverrunError, ValueError) as exc:
            log.info("control client dropped: %r", exc)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def send_command(
    path: Path, command: dict[str, object], timeout: float = 10.0
) -> dict[str, object]:
    """The command line's side: send one command, return the app's reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps(command).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply = json.loads(data)
    if not isinstance(reply, dict):
        raise ValueError("the app sent something other than an object")
    return reply


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True
