"""Converting a room to and from its durable part (see `durable.py`).

The stage (host, co-hosts, speakers) is durable, with its moderator mutes,
and so are the listeners with a raised hand, with its time, so that the hand
queue survives a crash; other listeners, invitations to speak and self-mutes
are not. After a restart every restored member counts as disconnected since
the restart, so the grace period starts then: whoever does not come back in
time leaves, and the host role passes on as usual. Event numbering starts again at 0; clients
resync on the new connection anyway.
"""

from app.server.rooms.durable import DurableMember, DurableRoom
from app.server.rooms.state import Member, Room


def to_durable(room: Room) -> DurableRoom:
    return DurableRoom(
        room_id=room.room_id,
        title=room.title,
        topic=room.topic,
        invite_only=room.invite_only,
        stage_capacity=room.stage_capacity,
        locked=room.locked,
        hands_enabled=room.hands_enabled,
        pinned_link=room.pinned_link,
        status=room.status,
        host_id=room.host_id,
        created_at=room.created_at,
        ended_at=room.ended_at,
        # Sorted so that equal rooms give equal values whatever the join order.
        # Read from the `shown` index (stage, hands, invitations), never from
        # the whole audience: the hub compares this before and after every
        # join, so walking `members` made each join cost O(audience).
        members=tuple(
            DurableMember(
                user_id=m.user_id,
                name=m.name,
                role=m.role,
                joined_at=m.joined_at,
                role_since=m.role_since,
                mod_muted=m.mod_muted,
                hand_raised_at=m.hand_raised_at,
            )
            for m in sorted(room.shown.values(), key=lambda m: m.user_id)
            if m.on_stage or m.hand_raised_at is not None
        ),
        bans=frozenset(room.bans),
        invites=frozenset(room.invites),
    )


def restore(d: DurableRoom, now: float, grace_period: float = 120.0) -> Room:
    room = Room(
        room_id=d.room_id,
        title=d.title,
        topic=d.topic,
        invite_only=d.invite_only,
        stage_capacity=d.stage_capacity,
        host_id=d.host_id,
        created_at=d.created_at,
        grace_period=grace_period,
        locked=d.locked,
        hands_enabled=d.hands_enabled,
        pinned_link=d.pinned_link,
        status=d.status,
        ended_at=d.ended_at,
        bans=set(d.bans),
        invites=set(d.invites),
    )
    for dm in d.members:
        room.members[dm.user_id] = Member(
            user_id=dm.user_id,
            name=dm.name,
            role=dm.role,
            joined_at=dm.joined_at,
            role_since=dm.role_since,
            mod_muted=dm.mod_muted,
            hand_raised_at=dm.hand_raised_at,
            connected=False,
            disconnected_at=now,
        )
    room.reindex_all()
    return room
