"""The room as the protocol shows it: member views, snapshots, directory
entries, the audience's counts and a moderator's pages of it."""

from app.protocol.errors import ErrorCode
from app.protocol.events import MemberUpdated, RoomUpdated, UpdateCause
from app.protocol.model import (
    Action,
    AudienceCount,
    FloorState,
    MemberView,
    RoomSnapshot,
    RoomSummary,
)
from app.protocol.replies import AudiencePage
from app.server.rooms.errors import RoomError
from app.server.rooms.permissions import allowed
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
        voice_activity=m.voice_activity,
    )


def floor_view(room: Room) -> FloorState:
    return FloorState(
        enabled=room.floor_control,
        max_turn=room.max_turn,
        holder=room.floor_holder,
        since=room.floor_since,
        queue=list(room.floor_queue),
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


def audience_count(room: Room) -> AudienceCount:
    return AudienceCount(listeners=len(room.present), hands=len(room.hands))


def snapshot(room: Room, viewer: int | None = None) -> RoomSnapshot:
    """The room as `viewer` sees it: everyone shown one by one, and the viewer."""
    shown = list(room.shown.values())
    me = room.members.get(viewer) if viewer is not None else None
    if me is not None and me.user_id not in room.shown:
        shown.append(me)
    shown.sort(key=lambda m: (m.joined_at, m.user_id))
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
        members=[member_view(m) for m in shown],
        recording=room.recording,
        audience=audience_count(room),
        allowed=allowed_actions(room, me),
        floor=floor_view(room),
    )


def allowed_actions(room: Room, member: Member | None) -> list[Action]:
    """What `member` is told they may do (in a fixed order): nothing once the room ended."""
    if member is None or not room.live:
        return []
    return sorted(allowed(member))


def summary(room: Room) -> RoomSummary:
    """A directory entry; counts only members whose connection is up."""
    host = room.members.get(room.host_id)
    return RoomSummary(
        room_id=room.room_id,
        title=room.title,
        topic=room.topic,
        invite_only=room.invite_only,
        # An ended room may have lost its host; the directory lists live rooms anyway.
        host_name=host.name if host is not None else "",
        speakers=sum(1 for m in room.stage() if m.connected),
        listeners=len(room.present),
        locked=room.locked,
        recording=room.recording,
    )


def cursor_of(key: tuple[str, int]) -> str:
    # A listener's place in name order. It never changes while they are in the
    # room, so pages neither skip nor repeat anyone who stays; the same key
    # serves a sorted set elsewhere (e.g. Redis ZRANGEBYLEX) just as well.
    return f"{key[0]}/{key[1]}"


def parse_cursor(cursor: str) -> tuple[str, int]:
    name, _, user_id = cursor.rpartition("/")
    if not name or not user_id.isascii() or not user_id.isdigit() or len(user_id) > 18:
        raise RoomError(ErrorCode.INVALID, "that is not a cursor from an audience page")
    return name, int(user_id)


def audience_page(room: Room, after: str | None, prefix: str, limit: int) -> AudiencePage:
    """Up to `limit` listeners whose name starts with `prefix`, in name order,
    after the cursor `after`. Everyone in the room through a whole paging run
    appears exactly once; those who join or leave during it at most once."""
    prefix = prefix.casefold()
    names = room.names
    start = names.bisect_left((prefix, -1))
    end = names.bisect_left((_past(prefix), -1)) if prefix else len(names)
    matched = end - start
    if after is not None:
        start = max(start, names.bisect_right(parse_cursor(after)))
    keys = list(names.islice(start, min(end, start + limit)))
    more = start + len(keys) < end
    return AudiencePage(
        members=[member_view(room.members[user_id]) for _, user_id in keys],
        next=cursor_of(keys[-1]) if keys and more else None,
        matched=matched,
    )


def _past(prefix: str) -> str:
    """The smallest string after every string that starts with `prefix`."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return _past(prefix[:-1]) if len(prefix) > 1 else "\U0010ffff" * 2
    return prefix[:-1] + chr(last + 1)
