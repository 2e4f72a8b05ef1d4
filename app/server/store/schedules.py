"""Queries on the scheduled-room tables, run by SqlStore inside its transactions."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.protocol.model import Role
from app.server.rooms.scheduled_state import Invitee, Plan, ScheduledRoomState
from app.server.store.api import NoticeRecord
from app.server.store.schema import (
    schedule_notices,
    schedule_reminders,
    scheduled_invitees,
    scheduled_rooms,
)

CHUNK = 500  # bounds every IN (...) list


def _row(state: ScheduledRoomState) -> dict[str, Any]:
    plan = state.plan
    return {
        "schedule_id": state.schedule_id,
        "host_id": state.host_id,
        "host_name": state.host_name,
        "title": plan.title,
        "topic": plan.topic,
        "starts_at": plan.starts_at,
        "invite_only": plan.invite_only,
        "status": state.status,
        "room_id": state.room_id,
        "created_at": state.created_at,
        "reminded_at": state.reminded_at,
        "version": state.version,
    }


async def insert_plan(conn: AsyncConnection, state: ScheduledRoomState) -> None:
    await conn.execute(insert(scheduled_rooms).values(_row(state)))
    await _write_invitees(conn, state)


async def update_plan(
    conn: AsyncConnection, state: ScheduledRoomState, notice: str | None, now: float
) -> bool:
    changed = await conn.execute(
        update(scheduled_rooms)
        .where(
            scheduled_rooms.c.schedule_id == state.schedule_id,
            scheduled_rooms.c.version == state.version - 1,
        )
        .values(_row(state))
    )
    if changed.rowcount != 1:
        return False
    await conn.execute(
        delete(scheduled_invitees).where(scheduled_invitees.c.schedule_id == state.schedule_id)
    )
    await _write_invitees(conn, state)
    if notice is not None:
        reminded = select(
            schedule_reminders.c.schedule_id,
            schedule_reminders.c.user_id,
            literal(notice),
            literal(now),
        ).where(schedule_reminders.c.schedule_id == state.schedule_id)
        await conn.execute(
            insert(schedule_notices).from_select(
                ["schedule_id", "user_id", "kind", "created_at"], reminded
            )
        )
    return True


async def _write_invitees(conn: AsyncConnection, state: ScheduledRoomState) -> None:
    rows = [
        {
            "schedule_id": state.schedule_id,
            "user_id": invitee.user_id,
            "position": position,
            "name": invitee.name,
            "role": invitee.role.value,
        }
        for position, invitee in enumerate(state.plan.invitees)
    ]
    if rows:
        await conn.execute(insert(scheduled_invitees), rows)


async def find(conn: AsyncConnection, schedule_id: str) -> ScheduledRoomState | None:
    found = await _load(conn, [scheduled_rooms.c.schedule_id == schedule_id])
    return found[0] if found else None


async def upcoming(conn: AsyncConnection) -> list[ScheduledRoomState]:
    return await _load(conn, [scheduled_rooms.c.status == "scheduled"])


async def _load(conn: AsyncConnection, where: list[Any]) -> list[ScheduledRoomState]:
    plans = (
        await conn.execute(
            select(scheduled_rooms)
            .where(*where)
            .order_by(scheduled_rooms.c.starts_at, scheduled_rooms.c.schedule_id)
        )
    ).all()
    invitees: dict[str, list[Invitee]] = {}
    ids = [row.schedule_id for row in plans]
    for start in range(0, len(ids), CHUNK):
        query = (
            select(scheduled_invitees)
            .where(scheduled_invitees.c.schedule_id.in_(ids[start : start + CHUNK]))
            .order_by(scheduled_invitees.c.schedule_id, scheduled_invitees.c.position)
        )
        for row in await conn.execute(query):
            invitees.setdefault(row.schedule_id, []).append(
                Invitee(row.user_id, row.name, Role(row.role))
            )
    return [_state(row, invitees.get(row.schedule_id, [])) for row in plans]


def _state(row: Row[Any], invitees: Sequence[Invitee]) -> ScheduledRoomState:
    return ScheduledRoomState(
        schedule_id=row.schedule_id,
        host_id=row.host_id,
        host_name=row.host_name,
        plan=Plan(
            title=row.title,
            topic=row.topic,
            starts_at=row.starts_at,
            invite_only=row.invite_only,
            invitees=tuple(invitees),
        ),
        status=row.status,
        created_at=row.created_at,
        version=row.version,
        room_id=row.room_id,
        reminded_at=row.reminded_at,
    )


async def set_reminder(
    conn: AsyncConnection, sqlite: bool, schedule_id: str, user_id: int, on: bool, now: float
) -> None:
    if not on:
        await conn.execute(
            delete(schedule_reminders).where(
                schedule_reminders.c.schedule_id == schedule_id,
                schedule_reminders.c.user_id == user_id,
            )
        )
        return
    stmt = (sqlite_insert if sqlite else pg_insert)(schedule_reminders).values(
        schedule_id=schedule_id, user_id=user_id, created_at=now
    )
    await conn.execute(stmt.on_conflict_do_nothing())


async def reminder_counts(
    conn: AsyncConnection, schedule_ids: list[str], user_id: int
) -> tuple[dict[str, int], set[str]]:
    counts: dict[str, int] = {}
    mine: set[str] = set()
    r = schedule_reminders.c
    for start in range(0, len(schedule_ids), CHUNK):
        chunk = schedule_ids[start : start + CHUNK]
        query = select(r.schedule_id, func.count()).where(r.schedule_id.in_(chunk))
        for schedule_id, count in await conn.execute(query.group_by(r.schedule_id)):
            counts[schedule_id] = int(count)
        query = select(r.schedule_id).where(r.schedule_id.in_(chunk), r.user_id == user_id)
        mine.update(row.schedule_id for row in await conn.execute(query))
    return counts, mine


async def pending_users(conn: AsyncConnection, since: float) -> set[int]:
    n = schedule_notices.c
    query = select(n.user_id).distinct().where(n.delivered_at.is_(None), n.created_at >= since)
    return {row.user_id for row in await conn.execute(query)}


async def claim(
    conn: AsyncConnection, user_ids: list[int], since: float, now: float
) -> list[NoticeRecord]:
    n = schedule_notices.c
    claimed: list[NoticeRecord] = []
    for start in range(0, len(user_ids), CHUNK):
        query = (
            update(schedule_notices)
            .where(
                n.delivered_at.is_(None),
                n.created_at >= since,
                n.user_id.in_(user_ids[start : start + CHUNK]),
            )
            .values(delivered_at=now)
            .returning(n.id, n.schedule_id, n.user_id, n.kind)
        )
        claimed += [
            NoticeRecord(row.id, row.schedule_id, row.user_id, row.kind)
            for row in await conn.execute(query)
        ]
    return sorted(claimed, key=lambda notice: notice.notice_id)
