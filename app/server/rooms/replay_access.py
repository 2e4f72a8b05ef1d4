"""The facts a replay decision needs, as plain values (no store, no I/O)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReplayFacts:
    """A recording as the permission module sees it."""

    visibility: str  # "public" or "private"
    invite_only: bool  # the room was invite-only
    host_id: int  # the room's host when recording started
    owner_id: int  # the moderator who started it
    finished: bool


@dataclass(frozen=True, slots=True)
class ReplayViewer:
    """Someone asking to play it, and what they were in the room as it stopped."""

    user_id: int
    was_member: bool = False
    was_moderator: bool = False
