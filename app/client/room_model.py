"""A client's copy of a room, kept in step with the server's sequenced events.

Plain state, no I/O: `apply` returns False when an event does not follow the
last one seen, and the caller then asks for a snapshot (`sync`).

Since protocol 2 the audience is a summary: `members` holds whoever the
server shows one by one (the stage, raised hands, open invitations) and this
client's own member; a listener with none of these is dropped (now only
counted), and `audience` holds the counts of the latest `audience` message.
`allowed` is what the server lets this client do (pushed by the server).
"""

import msgspec

from app.protocol.events import (
    AnyRoomEvent,
    FloorChanged,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    Reacted,
    RecordingChanged,
    RoomEnded,
    RoomUpdated,
)
from app.protocol.model import (
    STAGE_ROLES,
    Action,
    AudienceCount,
    FloorState,
    MemberView,
    Role,
    RoomSnapshot,
)
from app.protocol.replies import Audience


def is_shown(member: MemberView) -> bool:
    """Shown to everyone one by one (the server's rule); others are counted."""
    return member.role in STAGE_ROLES or member.hand_raised_at is not None or member.invited


class RoomModel:
    def __init__(self, snap: RoomSnapshot, me: int = 0) -> None:
        self.me = me
        self.reset(snap)

    def reset(self, snap: RoomSnapshot) -> None:
        self.snapshot = snap
        self.seq = snap.seq
        self.members: dict[int, MemberView] = {m.user_id: m for m in snap.members}
        self.audience: AudienceCount = snap.audience
        # What the server lets this client do (its `allowed` messages replace it):
        # controls follow it rather than a copy of the permission table.
        self.allowed: frozenset[Action] = frozenset(snap.allowed)
        self.ended_reason: str | None = None if snap.status == "live" else "ended"
        # Why the server stopped the last recording (a full disk...); None otherwise.
        self.recording_failure: str | None = None

    @property
    def room_id(self) -> str:
        return self.snapshot.room_id

    def apply(self, seq: int, event: AnyRoomEvent) -> bool:
        """Apply one event; False means a gap (or a stale event): resync."""
        if seq <= self.seq:
            return True  # already covered by the snapshot
        if seq != self.seq + 1:
            return False
        self.seq = seq
        match event:
            case MemberJoined(member=member) | MemberUpdated(member=member):
                if is_shown(member) or member.user_id == self.me:
                    self.members[member.user_id] = member
                else:
                    self.members.pop(member.user_id, None)
            case MemberLeft(user_id=user_id):
                self.members.pop(user_id, None)
            case RoomUpdated():
                self.snapshot = msgspec.structs.replace(
                    self.snapshot,
                    topic=event.topic,
                    locked=event.locked,
                    hands_enabled=event.hands_enabled,
                    pinned_link=event.pinned_link,
                    host_id=event.host_id,
                )
            case RoomEnded(reason=reason):
                self.ended_reason = reason
                self.snapshot = msgspec.structs.replace(self.snapshot, status="ended")
            case RecordingChanged(recording=recording):
                self.snapshot = msgspec.structs.replace(self.snapshot, recording=recording)
                failed = event.reason == "failed"
                self.recording_failure = (event.detail or "?") if failed else None
            case FloorChanged(floor=floor):
                self.snapshot = msgspec.structs.replace(self.snapshot, floor=floor)
            case Reacted():
                pass  # ephemeral: shown by the UI, not kept
        return True

    def apply_audience(self, message: Audience) -> None:
        """The latest counts replace the ones before (they are not numbered)."""
        self.audience = AudienceCount(listeners=message.listeners, hands=message.hands)

    # -- views -----------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self.ended_reason is None

    @property
    def recording(self) -> bool:
        """The room's audience mix is being recorded (the banner says so)."""
        return self.live and self.snapshot.recording

    @property
    def floor(self) -> FloorState:
        """Floor control as the server last said (one stage member heard at a time)."""
        return self.snapshot.floor

    def waiting_for_floor(self, user_id: int | None = None) -> bool:
        """Whether this member (this client's, by default) is queued for the floor."""
        floor = self.snapshot.floor
        return floor.enabled and (self.me if user_id is None else user_id) in floor.queue

    def stage(self) -> list[MemberView]:
        order = {Role.HOST: 0, Role.COHOST: 1, Role.SPEAKER: 2}
        on_stage = [m for m in self.members.values() if m.role in STAGE_ROLES]
        return sorted(on_stage, key=lambda m: (order[m.role], m.joined_at, m.user_id))

    def listeners_shown(self) -> list[MemberView]:
        """The listeners this client knows one by one: raised hands, invitations, itself."""
        listeners = [m for m in self.members.values() if m.role == Role.LISTENER]
        return sorted(listeners, key=lambda m: (m.joined_at, m.user_id))

    def hand_queue(self) -> list[MemberView]:
        raised = [m for m in self.members.values() if m.hand_raised_at is not None]
        return sorted(raised, key=lambda m: (m.hand_raised_at or 0.0, m.user_id))

    def may(self, action: Action) -> bool:
        """Whether the server lets this client take `action` now."""
        return self.live and action in self.allowed

    def role_of(self, user_id: int) -> Role | None:
        member = self.members.get(user_id)
        return member.role if member else None

    def to_dict(self) -> dict[str, object]:
        """The room as a client sees it now, for `--json` output and logs."""
        snap = msgspec.structs.replace(
            self.snapshot, seq=self.seq, members=sorted(self.members.values(), key=_by_id)
        )
        snap = msgspec.structs.replace(snap, audience=self.audience, allowed=sorted(self.allowed))
        data: dict[str, object] = msgspec.to_builtins(snap)
        data["ended_reason"] = self.ended_reason
        return data


def _by_id(member: MemberView) -> int:
    return member.user_id
