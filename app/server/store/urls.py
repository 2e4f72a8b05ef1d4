"""Database URLs as the user writes them, mapped onto the async drivers we ship."""

from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

_EXAMPLES = "sqlite:///PATH, sqlite:///:memory: or postgresql://user@host:port/db"


@dataclass(frozen=True, slots=True)
class DbUrl:
    url: URL  # with the async driver filled in
    sqlite: bool
    memory: bool  # SQLite in-memory: one shared connection, gone at close


def parse_db_url(text: str) -> DbUrl:
    """Map a user-facing URL onto its async driver; ValueError if we cannot serve it."""
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {text!r} (expected {_EXAMPLES})") from exc
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database URL scheme {url.drivername!r} in {_redacted(url)} "
            f"(expected {_EXAMPLES})"
        )
    url = url.set(drivername=driver)
    if driver.startswith("sqlite"):
        memory = url.database in (None, "", ":memory:")
        if memory:
            url = url.set(database=":memory:")
        return DbUrl(url=url, sqlite=True, memory=memory)
    if not url.database:
        raise ValueError(f"no database name in {_redacted(url)} (expected {_EXAMPLES})")
    return DbUrl(url=url, sqlite=False, memory=False)


def default_db_url() -> str:
    """SQLite file panggung.db in the user's data directory, which is created if missing."""
    data_dir = Path(platformdirs.user_data_dir("panggung", appauthor=False, ensure_exists=True))
    return f"sqlite:///{data_dir / 'panggung.db'}"


def _redacted(url: URL) -> str:
    return url.render_as_string(hide_password=True)
