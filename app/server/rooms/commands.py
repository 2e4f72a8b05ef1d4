"""What the core accepts: the protocol's room requests plus three shell-made commands.

`Join`, `Disconnect` and `AddInvite` come from the shell rather than straight
off the wire: joining is a directory request that names the room, a dropped
connection is a fact the shell observes, and invite codes are random, so the
shell draws them and the core only checks who may add one. `Sync` and
`CreateInvite` never reach the core (a snapshot is read with `snapshot()`;
`CreateInvite` becomes `AddInvite`). The `id` on protocol requests is ignored.
"""

from dataclasses import dataclass

from app.protocol.requests import (
    AcceptInvite,
    ApproveHand,
    Ban,
    DeclineInvite,
    DenyHand,
    EndRoom,
    InviteToStage,
    LeaveRoom,
    LeaveStage,
    LowerHand,
    MakeCohost,
    MoveToAudience,
    Mute,
    MuteAll,
    PinLink,
    RaiseHand,
    React,
    Remove,
    SelfMute,
    SetHandsEnabled,
    SetLocked,
    SetRecording,
    SetTopic,
    Unban,
    UnmakeCohost,
    Unmute,
)


@dataclass(frozen=True, slots=True)
class Join:
    """Enter the room, or take one's place back during the grace period."""

    invite_code: str | None = None


@dataclass(frozen=True, slots=True)
class Disconnect:
    """The member's connection dropped; their place is held for the grace period."""


@dataclass(frozen=True, slots=True)
class AddInvite:
    """Store an invite code the shell generated."""

    code: str


# Everything a member (not a newcomer) can issue.
MemberCommand = (
    Disconnect
    | AddInvite
    | LeaveRoom
    | EndRoom
    | RaiseHand
    | LowerHand
    | AcceptInvite
    | DeclineInvite
    | LeaveStage
    | SelfMute
    | React
    | ApproveHand
    | DenyHand
    | InviteToStage
    | MoveToAudience
    | Mute
    | Unmute
    | MuteAll
    | Remove
    | Ban
    | Unban
    | MakeCohost
    | UnmakeCohost
    | SetLocked
    | SetHandsEnabled
    | SetTopic
    | PinLink
    | SetRecording
)
RoomCommand = Join | MemberCommand
