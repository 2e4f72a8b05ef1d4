"""Durable storage for the room server: the Store contract and its SQL shell."""

from app.server.store.api import (
    RecordingRecord,
    SessionRecord,
    Store,
    StoreError,
    UsernameTaken,
    UserRecord,
)
from app.server.store.sql import SqlStore, open_store
from app.server.store.urls import default_db_url

__all__ = [
    "RecordingRecord",
    "SessionRecord",
    "SqlStore",
    "Store",
    "StoreError",
    "UserRecord",
    "UsernameTaken",
    "default_db_url",
    "open_store",
]
