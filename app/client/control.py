"""The local control channel: `panggung ptt press|release|toggle`,
`panggung status` and the rest reach the running app through it.

One JSON line in, one JSON line out. Where the platform has Unix sockets,
over one that only this user may open (0600). Where it has none (Windows),
over loopback TCP: any local program may connect to 127.0.0.1, so the app
writes its port and a random secret to a file only this user can read, and
refuses every request line that does not carry the secret. Either way the
address derives from the config directory, so that several instances
(tests, a second profile) each have their own, and a second app with the
same config finds the first one answering and refuses to start.

Qt-free: the app serves it on its asyncio loop, the command line uses a
plain blocking socket.
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, object]], Awaitable[dict[str, object]]]
MAX_LINE = 64 * 1024
LOOPBACK = "127.0.0.1"
SECRET_KEY = "secret"  # carried by every request line over TCP
PING = "ping"  # answered by the channel itself: "is an app behind this file?"


class Transport(StrEnum):
    UNIX = "unix"
    TCP = "tcp"  # loopback, with a secret


def default_transport() -> Transport:
    # Windows' Python has neither AF_UNIX nor asyncio's Unix servers.
    unix = hasattr(socket, "AF_UNIX") and hasattr(asyncio, "start_unix_server")
    return Transport.UNIX if unix else Transport.TCP


@dataclass(frozen=True, slots=True)
class ControlAddress:
    transport: Transport
    # The Unix socket itself, or the file that names the TCP port and secret.
    path: Path


def _runtime_name(config_dir: Path) -> str:
    """A short name (Unix sockets allow ~100 bytes) unique to user and config dir."""
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:16]
    # No uid on Windows; there the temp dir is the user's own already.
    user = os.getuid() if hasattr(os, "getuid") else "u"
    return f"panggung-{user}-{digest}"


def _runtime_dir() -> Path:
    # XDG_RUNTIME_DIR is private to the user; else the temp dir (on Windows,
    # %LOCALAPPDATA%\\Temp, which only the user and administrators can read).
    return Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())


def socket_path(config_dir: Path) -> Path:
    return _runtime_dir() / f"{_runtime_name(config_dir)}.sock"


def control_address(config_dir: Path, transport: Transport | None = None) -> ControlAddress:
    transport = transport or default_transport()
    if transport is Transport.UNIX:
        return ControlAddress(transport, socket_path(config_dir))
    return ControlAddress(transport, _runtime_dir() / f"{_runtime_name(config_dir)}.port")


class ControlServer:
    def __init__(self, address: ControlAddress, handler: Handler) -> None:
        self.address = address
        self.path = address.path
        self._handler = handler
        self._server: asyncio.AbstractServer | None = None
        self._secret: str | None = None  # TCP only

    async def start(self) -> None:
        if self.path.exists():
            # In a thread: the app that answers may share this loop (tests).
            if await asyncio.to_thread(_answers, self.address):
                raise RuntimeError(f"another Panggung is running with this config ({self.path})")
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()  # left over from a crash
        if self.address.transport is Transport.UNIX:
            await self._start_unix()
        else:
            await self._start_tcp()

    async def _start_unix(self) -> None:
        old = os.umask(0o177)  # the socket is created 0600: this user only
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_LINE
            )
        finally:
            os.umask(old)

    async def _start_tcp(self) -> None:
        self._secret = secrets.token_urlsafe(32)
        server = await asyncio.start_server(self._serve, LOOPBACK, 0, limit=MAX_LINE)
        port = server.sockets[0].getsockname()[1]
        try:
            _write_private(self.path, json.dumps({"port": port, SECRET_KEY: self._secret}))
        except FileExistsError:
            # Another app wrote it between our check and now.
            server.close()
            await server.wait_closed()
            raise RuntimeError(
                f"another Panggung is running with this config ({self.path})"
            ) from None
        except BaseException:
            server.close()
            await server.wait_closed()
            raise
        self._server = server

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
                reply = await self._answer(command)
            except ValueError as exc:
                reply = {"ok": False, "error": f"bad command: {exc}"}
            except Exception as exc:  # an answer beats a dropped line ("not running?")
                log.exception("control command %r failed", line[:200])
                reply = {"ok": False, "error": f"the command failed: {exc}"}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (OSError, TimeoutError, asyncio.LimitOverrunError, ValueError) as exc:
            log.info("control client dropped: %r", exc)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _answer(self, command: dict[str, object]) -> dict[str, object]:
        given = command.pop(SECRET_KEY, None)
        if self._secret is not None and not (
            isinstance(given, str) and hmac.compare_digest(given.encode(), self._secret.encode())
        ):
            log.warning("control request without the right secret refused")
            return {"ok": False, "error": "refused: wrong or missing secret"}
        if command.get("cmd") == PING:
            return {"ok": True, PING: True}
        return await self._handler(command)


def send_command(
    address: ControlAddress, command: dict[str, object], timeout: float = 10.0
) -> dict[str, object]:
    """The command line's side: send one command, return the app's reply.

    Raises OSError when no app answers there (no socket, no port file)."""
    if address.transport is Transport.UNIX:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(address.path))
        except OSError:
            sock.close()
            raise
    else:
        port, secret = _read_port_file(address.path)
        command = {**command, SECRET_KEY: secret}
        sock = socket.create_connection((LOOPBACK, port), timeout)
    with sock:
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


def _read_port_file(path: Path) -> tuple[int, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        port, secret = data["port"], data[SECRET_KEY]
    except (ValueError, TypeError, KeyError) as exc:
        # Half-written or damaged: as good as no app there.
        raise OSError(f"unreadable control file {path}: {exc!r}") from exc
    if not isinstance(port, int) or not isinstance(secret, str):
        raise OSError(f"unreadable control file {path}")
    return port, secret


def _write_private(path: Path, text: str) -> None:
    """Create `path` for this user only (0600 where modes mean something;
    on Windows the file takes the private ACL of the user's temp dir).
    O_EXCL: of two apps starting at once, one wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _answers(address: ControlAddress) -> bool:
    """Whether a live app is behind `address` (else what is there is stale)."""
    if address.transport is Transport.UNIX:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            try:
                sock.connect(str(address.path))
            except OSError:
                return False
        return True
    # The port may belong to another program by now: only an app that knows
    # the secret and answers the ping counts.
    try:
        return send_command(address, {"cmd": PING}, timeout=2).get(PING) is True
    except (OSError, ValueError):
        return False
