"""DurableRoom to table rows and back: the one place that knows how a room is laid out."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy.engine import Row

from app.protocol.model import Role, RoomStatus
from app.server.rooms.durable import DurableMember, DurableRoom
from app.server.store.api import StoreError

_ROOM_STATUSES: frozenset[str] = frozenset(("live", "ended"))


def room_row(room: DurableRoom) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "title": room.title,
        "topic": room.topic,
        "invite_only": room.invite_only,
        "stage_capacity": room.stage_capacity,
        "locked": room.locked,
        "hands_enabled": room.hands_enabled,
        "pinned_link": room.pinned_link,
        "status": room.status,
        "host_id": room.host_id,
        "created_at": room.created_at,
        "ended_at": room.ended_at,
    }


def member_rows(room: DurableRoom) -> list[dict[str, Any]]:
    return [
        {
            "room_id": room.room_id,
            "user_id": member.user_id,
            "position": position,
            "name": member.name,
            "role": member.role.value,
            "joined_at": member.joined_at,
            "role_since": member.role_since,
            "mod_muted": member.mod_muted,
            "hand_raised_at": member.hand_raised_at,
        }
        for position, member in enumerate(room.members)
    ]


def ban_rows(room: DurableRoom) -> list[dict[str, Any]]:
    return [{"room_id": room.room_id, "user_id": user_id} for user_id in sorted(room.bans)]


def invite_rows(room: DurableRoom) -> list[dict[str, Any]]:
    return [{"room_id": room.room_id, "code": code} for code in sorted(room.invites)]


def assemble_rooms(
    room_rows: Sequence[Row[Any]],
    member_rows: Sequence[Row[Any]],
    ban_rows: Sequence[Row[Any]],
    invite_rows: Sequence[Row[Any]],
) -> list[DurableRoom]:
    members: defaultdict[str, list[DurableMember]] = defaultdict(list)
    for m in member_rows:  # ordered by position
        members[m.room_id].append(
            DurableMember(
                user_id=m.user_id,
                name=m.name,
                role=Role(m.role),
                joined_at=m.joined_at,
                role_since=m.role_since,
                mod_muted=bool(m.mod_muted),
                hand_raised_at=m.hand_raised_at,
            )
        )
    bans: defaultdict[str, set[int]] = defaultdict(set)
    for b in ban_rows:
        bans[b.room_id].add(b.user_id)
    invites: defaultdict[str, set[str]] = defaultdict(set)
    for i in invite_rows:
        invites[i.room_id].add(i.code)
    loaded = []
    for r in room_rows:  # ordered by creation
        if r.status not in _ROOM_STATUSES:
            raise StoreError(f"room {r.room_id!r} has an unknown status {r.status!r}")
        loaded.append(
            DurableRoom(
                room_id=r.room_id,
                title=r.title,
                topic=r.topic,
                invite_only=bool(r.invite_only),
                stage_capacity=r.stage_capacity,
                locked=bool(r.locked),
                hands_enabled=bool(r.hands_enabled),
                pinned_link=r.pinned_link,
                status=cast(RoomStatus, r.status),
                host_id=r.host_id,
                created_at=r.created_at,
                ended_at=r.ended_at,
                members=tuple(members[r.room_id]),
                bans=frozenset(bans[r.room_id]),
                invites=frozenset(invites[r.room_id]),
                epoch=r.epoch,
            )
        )
    return loaded
