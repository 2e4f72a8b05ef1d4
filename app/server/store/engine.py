"""Async engines with the connection settings each database needs."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.server.store.urls import DbUrl

# How long a SQLite writer waits for another process's write lock before
# giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5_000
# How long one database operation may take before it fails with StoreError:
# connecting, waiting for a pooled connection, and each statement. A hung
# PostgreSQL (stopped, a network that drops packets) then costs a request at
# most this long instead of forever; the rooms never wait for it at all.
DEFAULT_TIMEOUT_S = 5.0
# Connections to PostgreSQL per process: kept open, and opened beyond that
# under load. Three cluster nodes then use at most 60 of PostgreSQL's default
# 100. Sign-ins take at most a few of them (accounts.StoreGate), so rooms
# always find one for their saves and takeovers.
POOL_SIZE = 10
POOL_OVERFLOW = 10

# Execution option read by the SQLite "begin" hook: "IMMEDIATE" takes the write
# lock at BEGIN, so a write transaction never has to upgrade a read lock (which
# fails at once with SQLITE_BUSY instead of waiting out the busy timeout).
SQLITE_BEGIN = "panggung_sqlite_begin"


def create_engine(db: DbUrl, timeout: float = DEFAULT_TIMEOUT_S) -> AsyncEngine:
    if db.sqlite:
        engine = create_async_engine(db.url)
        _configure_sqlite(engine, wal=not db.memory)
        return engine
    # pre_ping: a pooled connection that a PostgreSQL restart broke is replaced
    # instead of failing the next request. asyncpg's command_timeout bounds
    # every statement on the client side (it also covers a server that stopped
    # answering, and the cancel request sent after a timeout); the server-side
    # settings end a stuck statement, lock wait or forgotten transaction there.
    millis = str(max(1, int(timeout * 1000)))
    return create_async_engine(
        db.url,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=timeout,
        connect_args={
            "timeout": timeout,
            "command_timeout": timeout,
            "server_settings": {
                "statement_timeout": millis,
                "lock_timeout": millis,
                "idle_in_transaction_session_timeout": str(max(1, int(timeout * 2000))),
            },
        },
    )


def _configure_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling commits before DDL and never
        # BEGINs before SELECT; turn it off and BEGIN in _on_begin, so every
        # transaction (migrations included) is atomic and reads are snapshots.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                # WAL: readers never block the writer. synchronous=NORMAL is
                # safe in WAL against application crashes; a power cut may lose
                # the last commits but never corrupts the file.
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
