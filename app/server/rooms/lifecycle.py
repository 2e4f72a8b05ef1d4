"""Comings and goings: creating a room, joining, dropping, leaving, ending, expiry.

A dropped connection keeps the member's place (role, hand, invite, mutes) for
the room's grace period; joining again within it reconnects them. When the
grace period runs out (`expire`, driven by the shell's tick) they leave with
reason "timed_out".

The room always has exactly one host while live. When the host goes - timed
out or by leaving - the longest-serving co-host (smallest role_since,
connected ones first) becomes host. With no co-host the room ends:
"no_moderator" after a time-out, "host_left" after a leave.
"""

from app.protocol.errors import ErrorCode
from app.protocol.events import (
    AnyRoomEvent,
    EndReason,
    LeaveReason,
    MemberJoined,
    MemberLeft,
    RoomEnded,
)
from app.protocol.model import Role
from app.protocol.requests import MAX_STAGE_CAPACITY, MAX_TITLE, MAX_TOPIC
from app.server.rooms.errors import RoomError
from app.server.rooms.permissions import admit
from app.server.rooms.room_settings import stop_recording
from app.server.rooms.state import Actor, Member, Room
from app.server.rooms.views import member_updated, member_view, room_updated


def create_room(
    room_id: str,
    host: Actor,
    title: str,
    topic: str,
    invite_only: bool,
    stage_capacity: int,
    now: float,
    grace_period: float = 120.0,
) -> Room:
    """A live room whose creator is its host, on stage and connected."""
    title = title.strip()
    topic = topic.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise RoomError(ErrorCode.INVALID, f"a title has 1 to {MAX_TITLE} characters")
    if len(topic) > MAX_TOPIC:
        raise RoomError(ErrorCode.INVALID, f"a topic has at most {MAX_TOPIC} characters")
    if not 1 <= stage_capacity <= MAX_STAGE_CAPACITY:
        raise RoomError(ErrorCode.INVALID, f"the stage holds 1 to {MAX_STAGE_CAPACITY} people")
    room = Room(
        room_id=room_id,
        title=title,
        topic=topic,
        invite_only=invite_only,
        stage_capacity=stage_capacity,
        host_id=host.user_id,
        created_at=now,
        grace_period=grace_period,
    )
    room.members[host.user_id] = Member(
        user_id=host.user_id, name=host.name, role=Role.HOST, joined_at=now, role_since=now
    )
    room.reindex(host.user_id)
    return room


def place(room: Room, actor: Actor, role: Role, now: float) -> None:
    """Put someone invited ahead (a scheduled room's co-host or speaker) in
    their place on a new room's stage before they arrive: away, as if their
    connection had dropped, so they hold it for the grace period and joining
    reconnects them in it. Only at creation, when nobody else is there to be
    told; the stage's capacity bounds it like any other way up."""
    if role not in (Role.COHOST, Role.SPEAKER):
        raise RoomError(ErrorCode.INVALID, "placed on the stage as a co-host or a speaker only")
    if actor.user_id in room.members or room.stage_full():
        raise RoomError(ErrorCode.STAGE_FULL, f"no place for {actor.name} on the stage")
    room.members[actor.user_id] = Member(
        user_id=actor.user_id,
        name=actor.name,
        role=role,
        joined_at=now,
        role_since=now,
        connected=False,
        disconnected_at=now,
    )
    room.reindex(actor.user_id)


def join(room: Room, actor: Actor, invite_code: str | None, now: float) -> list[AnyRoomEvent]:
    member = room.members.get(actor.user_id)
    if member is not None:
        # A member coming back, or a second connection: the place is theirs
        # regardless of lock and invites. The shell swaps the connections.
        if member.connected:
            return []
        member.connected = True
        member.disconnected_at = None
        return [member_updated(member, "reconnected")]
    admit(room, actor.user_id, invite_code)
    member = Member(
        user_id=actor.user_id, name=actor.name, role=Role.LISTENER, joined_at=now, role_since=now
    )
    room.members[actor.user_id] = member
    return [MemberJoined(member=member_view(member))]


def disconnect(me: Member, now: float) -> list[AnyRoomEvent]:
    if not me.connected:
        return []
    me.connected = False
    me.ptt_held = False  # a dropped connection lets go of the key
    me.disconnected_at = now
    return [member_updated(me, "disconnected")]


def leave(room: Room, me: Member, now: float) -> list[AnyRoomEvent]:
    events: list[AnyRoomEvent] = [depart(room, me, "left")]
    if me.role is Role.HOST:
        events += hand_over(room, now, "host_left")
    return events


def end_room(room: Room, now: float, reason: EndReason) -> list[AnyRoomEvent]:
    # A recording never outlives its room; say so before the room goes.
    events = stop_recording(room, "room_ended") if room.recording else []
    room.status = "ended"
    room.ended_at = now
    return [*events, RoomEnded(reason=reason)]


def expire(room: Room, now: float) -> list[AnyRoomEvent]:
    """Remove everyone whose grace period is over; then replace the host if they went."""
    if not room.live:
        return []
    # Only those away are looked at, not the whole audience.
    gone = sorted(
        (
            room.members[user_id]
            for user_id, since in room.away.items()
            if now - since >= room.grace_period
        ),
        key=lambda m: (m.disconnected_at, m.user_id),
    )
    events: list[AnyRoomEvent] = [depart(room, m, "timed_out") for m in gone]
    # Everyone expired is out before an heir is picked, so the host role never
    # passes to a co-host who is leaving in the same tick.
    if any(m.role is Role.HOST for m in gone):
        events += hand_over(room, now, "no_moderator")
    return events


def depart(room: Room, member: Member, reason: LeaveReason) -> MemberLeft:
    """Take a member out of the room. A departing host also needs `hand_over`."""
    del room.members[member.user_id]
    return MemberLeft(user_id=member.user_id, reason=reason)


def hand_over(room: Room, now: float, reason_if_none: EndReason) -> list[AnyRoomEvent]:
    """Make the longest-serving co-host host after the host left; end the room without one."""
    # The indexes are settled after the command: skip who left in this one.
    cohosts = [
        m for m in room.shown.values() if m.role is Role.COHOST and m.user_id in room.members
    ]
    if not cohosts:
        return end_room(room, now, reason_if_none)
    heir = min(cohosts, key=lambda m: (not m.connected, m.role_since, m.user_id))
    heir.set_role(Role.HOST, now)
    # Nobody outranks the host, so a moderator's mute on them could never be lifted.
    heir.mod_muted = False
    room.host_id = heir.user_id
    return [member_updated(heir, "became_host"), room_updated(room)]
