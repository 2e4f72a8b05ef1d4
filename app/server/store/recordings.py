"""Queries on the recordings table, run by SqlStore inside its transactions."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.server.store.api import RecordingRecord, StoreError
from app.server.store.schema import recordings


async def create(
    conn: AsyncConnection,
    owner_id: int,
    host_id: int,
    room_id: str,
    room_title: str,
    started_at: float,
    file_name: Callable[[int], str],
) -> RecordingRecord:
    # The file is named after the id, which only the insert gives; both
    # statements run in one transaction, so no row is ever seen without it.
    result = await conn.execute(
        insert(recordings).values(
            owner_id=owner_id,
            host_id=host_id,
            room_id=room_id,
            room_title=room_title,
            file_name="",
            started_at=started_at,
            duration=0.0,
            bytes=0,
        )
    )
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("could not create a recording: the database returned no id")
    recording_id = int(key[0])
    name = file_name(recording_id)
    await conn.execute(
        update(recordings).where(recordings.c.id == recording_id).values(file_name=name)
    )
    return RecordingRecord(
        recording_id=recording_id,
        owner_id=owner_id,
        host_id=host_id,
        room_id=room_id,
        room_title=room_title,
        file_name=name,
        started_at=started_at,
        ended_at=None,
        duration=0.0,
        bytes=0,
    )


async def finish(
    conn: AsyncConnection, recording_id: int, ended_at: float, duration: float, size: int
) -> None:
    await conn.execute(
        update(recordings)
        .where(recordings.c.id == recording_id)
        .values(ended_at=ended_at, duration=duration, bytes=size)
    )


async def remove(conn: AsyncConnection, recording_id: int) -> None:
    await conn.execute(delete(recordings).where(recordings.c.id == recording_id))


async def find(conn: AsyncConnection, recording_id: int) -> RecordingRecord | None:
    row = (
        await conn.execute(select(recordings).where(recordings.c.id == recording_id))
    ).one_or_none()
    return None if row is None else _record(row)


async def of_user(conn: AsyncConnection, user_id: int) -> list[RecordingRecord]:
    query = (
        select(recordings)
        .where(or_(recordings.c.owner_id == user_id, recordings.c.host_id == user_id))
        .order_by(recordings.c.started_at.desc(), recordings.c.id.desc())
    )
    return [_record(row) for row in (await conn.execute(query)).all()]


async def unfinished(conn: AsyncConnection) -> list[RecordingRecord]:
    query = select(recordings).where(recordings.c.ended_at.is_(None)).order_by(recordings.c.id)
    return [_record(row) for row in (await conn.execute(query)).all()]


def _record(row: Row[Any]) -> RecordingRecord:
    return RecordingRecord(
        recording_id=row.id,
        owner_id=row.owner_id,
        host_id=row.host_id,
        room_id=row.room_id,
        room_title=row.room_title,
        file_name=row.file_name,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration=row.duration,
        bytes=int(row.bytes),
    )
