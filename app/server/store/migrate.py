"""Bring a database to the newest schema with the alembic scripts shipped in migrations/."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.server.store.engine import SQLITE_BEGIN

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Any fixed number: the key of the PostgreSQL advisory lock that keeps two
# servers starting at once from migrating the same database together.
_PG_MIGRATION_LOCK = 0x70616E67  # "pang"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config built in code; env.py migrates `connection` if one is given."""
    config = Config()
    # Config values go through configparser interpolation: escape '%'.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every pending migration in one transaction (DDL is transactional on both)."""
    # IMMEDIATE on SQLite: take the write lock first, so a second process
    # opening the same file waits for this migration instead of racing it.
    writer = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    async with writer.begin() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), "head")
