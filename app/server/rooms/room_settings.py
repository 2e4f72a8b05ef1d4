"""Room-wide settings moderators change: lock, hands, topic, pinned link,
invites, recording.

Each change emits one room_updated carrying every setting (and the host), so
clients replace rather than merge. Setting a value the room already has
changes nothing and emits nothing. Turning hands off lowers every raised hand.
"""

from urllib.parse import urlsplit

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent, RecordingChanged, RecordingStopReason
from app.protocol.requests import MAX_TOPIC, MAX_URL
from app.server.rooms.errors import RoomError
from app.server.rooms.state import Member, Room
from app.server.rooms.views import member_updated, room_updated


def set_locked(room: Room, me: Member, locked: bool) -> list[AnyRoomEvent]:
    if room.locked == locked:
        return []
    room.locked = locked
    return [room_updated(room, by=me.user_id)]


def set_hands_enabled(room: Room, me: Member, enabled: bool) -> list[AnyRoomEvent]:
    if room.hands_enabled == enabled:
        return []
    events: list[AnyRoomEvent] = []
    if not enabled:
        for m in room.hand_queue():
            m.hand_raised_at = None
            events.append(member_updated(m, "hands_disabled", by=me.user_id))
    room.hands_enabled = enabled
    events.append(room_updated(room, by=me.user_id))
    return events


def set_topic(room: Room, me: Member, topic: str) -> list[AnyRoomEvent]:
    topic = topic.strip()
    if len(topic) > MAX_TOPIC:
        raise RoomError(ErrorCode.INVALID, f"a topic has at most {MAX_TOPIC} characters")
    if room.topic == topic:
        return []
    room.topic = topic
    return [room_updated(room, by=me.user_id)]


def pin_link(room: Room, me: Member, url: str | None) -> list[AnyRoomEvent]:
    if url is not None and not is_web_link(url):
        raise RoomError(
            ErrorCode.INVALID, f"a pinned link is an http(s) URL of at most {MAX_URL} characters"
        )
    if room.pinned_link == url:
        return []
    room.pinned_link = url
    return [room_updated(room, by=me.user_id)]


def set_recording(room: Room, me: Member, on: bool) -> list[AnyRoomEvent]:
    # Its own event rather than room_updated: clients show it as a banner and
    # a notification, and `by`/`reason` matter here.
    if room.recording == on:
        return []
    room.recording = on
    return [RecordingChanged(recording=on, by=me.user_id)]


def stop_recording(
    room: Room, reason: RecordingStopReason, detail: str | None = None
) -> list[AnyRoomEvent]:
    """The server stops the recording (room ended, write failure, restart)."""
    room.recording = False
    return [RecordingChanged(recording=False, reason=reason, detail=detail)]


def add_invite(room: Room, code: str) -> list[AnyRoomEvent]:
    # Invite codes are secrets; they never appear in events.
    if not code:
        raise RoomError(ErrorCode.INVALID, "an invite code cannot be empty")
    room.invites.add(code)
    return []


def is_web_link(url: str) -> bool:
    """An absolute http(s) URL with a host, no spaces or control characters, <= MAX_URL."""
    if len(url) > MAX_URL or any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return False
    return parts.scheme in ("http", "https") and bool(host)
