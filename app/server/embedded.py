"""The server the desktop app hosts when a person chooses "Host on this
computer": SQLite in the app's data directory, the demo room live.

By default only this computer can reach it (127.0.0.1). Shared on the local
network, it listens on every interface, writes this machine's LAN address
into invite links, and offers audio on that address as well as on loopback
(the app itself talks to it over loopback).

Its database is the same file `panggung-server` uses by default
(panggung.db in the data directory), so that an account made in one exists
in the other; the app's older rooms.db is renamed to it once.

It prefers one fixed port, so invite links survive a restart of the app
(rooms are restored); if that port is taken (a second profile, another
program), any free port does.
"""

import errno
import logging
import socket
from pathlib import Path

from app.server.app import RunningServer, ServerConfig, start_server

log = logging.getLogger(__name__)

PREFERRED_PORT = 8765
LOOPBACK = "127.0.0.1"
DB_NAME = "panggung.db"  # store/urls.py's default_db_url names the same file
OLD_DB_NAME = "rooms.db"  # what the app used before
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def adopt_old_database(data_dir: Path) -> Path:
    """The database file, after renaming the app's old rooms.db to it when
    only the old one exists. When both exist, panggung.db wins and rooms.db
    is left untouched (and logged): nothing is deleted or merged blindly."""
    new, old = data_dir / DB_NAME, data_dir / OLD_DB_NAME
    if old.exists() and not new.exists():
        for suffix in SQLITE_SIDE_FILES:  # the WAL holds committed data too
            side = old.with_name(old.name + suffix)
            if side.exists():
                side.rename(new.with_name(new.name + suffix))
        log.info("database %s renamed to %s", old, new)
    elif old.exists():
        log.warning("both %s and %s exist: using %s; %s is kept as it was", new, old, new, old)
    return new


def lan_address() -> str | None:
    """This machine's IPv4 address on its network, or None when it has none.

    connect() on a UDP socket only asks the kernel for a route: no packet is
    sent. 192.0.2.1 is TEST-NET-1, reserved for documentation."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None  # no route at all: offline
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def embedded_config(
    data_dir: Path, *, share: bool, port: int = PREFERRED_PORT, lan: str | None = None
) -> ServerConfig:
    db_url = f"sqlite:///{data_dir / DB_NAME}"
    if not share or lan is None:
        if share:
            log.warning("no network address found: hosting for this computer only")
        return ServerConfig(db_url=db_url, host=LOOPBACK, port=port)
    return ServerConfig(
        db_url=db_url,
        host="0.0.0.0",
        port=port,
        public_address=lan,  # the bound port is added to it
        media_addresses=(lan, LOOPBACK),
    )


async def start_embedded(data_dir: Path, *, share: bool = False) -> RunningServer:
    """Start on the preferred port, else on any free one."""
    lan = lan_address() if share else None
    adopt_old_database(data_dir)
    try:
        return await start_server(
            embedded_config(data_dir, share=share, port=PREFERRED_PORT, lan=lan)
        )
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        log.info("port %d is taken: using a free one", PREFERRED_PORT)
    return await start_server(embedded_config(data_dir, share=share, port=0, lan=lan))
