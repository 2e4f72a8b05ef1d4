"""The room as the protocol shows it: member views, snapshots, directory entries."""

from app.protocol.events import MemberUpdated, RoomUpdated, UpdateCause
from app.protocol.model import MemberView, RoomSnapshot, RoomSummary
from app.server.rooms.state import Member, Room


def member_view(m: Member) -> MemberView:
    return MemberView(
        user_id=m.user_id,
        name=m.name,
        role=m.role,
        joined_at=m.joined_at,
        hand_raised_at=m.hand_raised_at,
        invited=m.invited,
        mod_muted=m.mod_muted,
        self_muted=m.self_muted,
        connected=m.connected,
    )


def member_updated(m: Member, cause: UpdateCause, by: int | None = None) -> MemberUpdated:
    return MemberUpdated(member=member_view(m), cause=cause, by=by)


def room_updated(room: Room, by: int | None = None) -> RoomUpdated:
    return RoomUpdated(
        topic=room.topic,
        locked=room.locked,
        hands_enabled=room.hands_enabled,
        pinned_link=room.pinned_link,
        host_id=room.host_id,
        by=by,
    )


def snapshot(room: Room) -> RoomSnapshot:
    return RoomSnapshot(
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
        seq=room.seq,
        members=[member_view(m) for m in room.members.values()],
        recording=room.recording,
    )


def summary(room: Room) -> RoomSummary:
    """A directory entry; counts only members whose connection is up."""
    here = [m for m in room.members.values() if m.connected]
    host = room.members.get(room.host_id)
    return RoomSummary(
        room_id=room.room_id,
        title=room.title,
        topic=room.topic,
        invite_only=room.invite_only,
        # An ended room may have lost its host; the directory lists live rooms anyway.
        host_name=host.name if host is not None else "",
        speakers=sum(1 for m in here if m.on_stage),
        listeners=sum(1 for m in here if not m.on_stage),
        locked=room.locked,
        recording=room.recording,
    )
