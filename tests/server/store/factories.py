"""Durable rooms to save, with defaults a test overrides only where it matters."""

from app.protocol.model import Role
from app.server.rooms.durable import DurableMember, DurableRoom


def member(
    user_id: int, role: Role = Role.SPEAKER, *, at: float = 1_700_000_000.25
) -> DurableMember:
    return DurableMember(
        user_id=user_id,
        name=f"user {user_id}",
        role=role,
        joined_at=at,
        role_since=at + 0.5,
        mod_muted=False,
    )


def room(
    room_id: str = "r1",
    *,
    members: tuple[DurableMember, ...] | None = None,
    bans: frozenset[int] = frozenset(),
    invites: frozenset[str] = frozenset(),
) -> DurableRoom:
    if members is None:
        members = (member(1, Role.HOST),)
    return DurableRoom(
        room_id=room_id,
        title=f"Room {room_id}",
        topic="Kopi dan kode",
        invite_only=False,
        stage_capacity=8,
        locked=False,
        hands_enabled=True,
        pinned_link=None,
        status="live",
        host_id=members[0].user_id if members else 1,
        created_at=1_700_000_000.123456,
        ended_at=None,
        members=members,
        bans=bans,
        invites=invites,
    )
