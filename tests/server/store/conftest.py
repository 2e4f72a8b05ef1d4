"""An opened store on each database, closed after the test."""

from collections.abc import AsyncIterator

import pytest

from app.server.store.sql import SqlStore, open_store


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    opened = await open_store(db_url)
    try:
        yield opened
    finally:
        await opened.close()
