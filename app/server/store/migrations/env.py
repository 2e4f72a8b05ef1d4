"""Alembic environment: migrate the connection open_store hands over, or a URL from the CLI."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from app.server.store.engine import create_engine
from app.server.store.schema import metadata
from app.server.store.urls import default_db_url, parse_db_url


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_cli() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or default_db_url()
    engine = create_engine(parse_db_url(url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; pass -x url=... instead")

handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_migrations(handed_over)
else:
    asyncio.run(run_from_cli())
