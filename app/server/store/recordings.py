"""Queries on the recordings table, run by SqlStore inside its transactions."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, true, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.server.store.api import RecordingRecord, ReplayViewerRecord, StoreError
from app.server.store.schema import recordings, replay_viewers


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
    # Viewers first and explicitly: SQLite enforces the cascade only with a pragma.
    await conn.execute(delete(replay_viewers).where(replay_viewers.c.recording_id == recording_id))
    await conn.execute(delete(recordings).where(recordings.c.id == recording_id))


async def save_viewers(
    conn: AsyncConnection, recording_id: int, invite_only: bool, viewers: dict[int, bool]
) -> None:
    await conn.execute(
        update(recordings).where(recordings.c.id == recording_id).values(invite_only=invite_only)
    )
    await conn.execute(delete(replay_viewers).where(replay_viewers.c.recording_id == recording_id))
    if viewers:
        await conn.execute(
            insert(replay_viewers),
            [
                {"recording_id": recording_id, "user_id": user_id, "moderator": moderator}
                for user_id, moderator in sorted(viewers.items())
            ],
        )


async def set_visibility(conn: AsyncConnection, recording_id: int, visibility: str) -> None:
    await conn.execute(
        update(recordings).where(recordings.c.id == recording_id).values(visibility=visibility)
    )


async def viewer(conn: AsyncConnection, recording_id: int, user_id: int) -> ReplayViewerRecord:
    row = (
        await conn.execute(
            select(replay_viewers.c.moderator).where(
                replay_viewers.c.recording_id == recording_id,
                replay_viewers.c.user_id == user_id,
            )
        )
    ).one_or_none()
    return ReplayViewerRecord() if row is None else ReplayViewerRecord(True, bool(row.moderator))


async def replay_candidates(
    conn: AsyncConnection, user_id: int
) -> list[tuple[RecordingRecord, ReplayViewerRecord]]:
    seen = replay_viewers.alias("seen")
    query = (
        select(recordings, seen.c.user_id.label("viewer_id"), seen.c.moderator.label("viewer_mod"))
        .outerjoin(seen, and_(seen.c.recording_id == recordings.c.id, seen.c.user_id == user_id))
        .where(
            recordings.c.ended_at.is_not(None),
            or_(
                and_(recordings.c.visibility == "public", recordings.c.invite_only.is_not(true())),
                seen.c.user_id.is_not(None),
                recordings.c.owner_id == user_id,
                recordings.c.host_id == user_id,
            ),
        )
        .order_by(recordings.c.started_at.desc(), recordings.c.id.desc())
    )
    return [
        (
            _record(row),
            ReplayViewerRecord(row.viewer_id is not None, bool(row.viewer_mod)),
        )
        for row in (await conn.execute(query)).all()
    ]


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
        visibility=row.visibility,
        invite_only=bool(row.invite_only),
    )
