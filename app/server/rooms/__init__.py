"""The sans-I/O room core: the rules of a live audio room as a pure state machine.

The shell feeds in commands with the time and gets back numbered events; see
`core` for the entry points and `permissions` for who may do what.
"""

from app.protocol.requests import MAX_STAGE_CAPACITY
from app.server.rooms.commands import AddInvite, Disconnect, Join, MemberCommand, RoomCommand
from app.server.rooms.core import Outcome, check, handle, recording_lost, tick
from app.server.rooms.errors import RoomError
from app.server.rooms.lifecycle import create_room
from app.server.rooms.permissions import PERMISSIONS, Action, may_be_heard, require
from app.server.rooms.persistence import restore, to_durable
from app.server.rooms.state import Actor, Member, Room
from app.server.rooms.views import audience_count, audience_page, snapshot, summary

__all__ = [
    "MAX_STAGE_CAPACITY",
    "PERMISSIONS",
    "Action",
    "Actor",
    "AddInvite",
    "Disconnect",
    "Join",
    "Member",
    "MemberCommand",
    "Outcome",
    "Room",
    "RoomCommand",
    "RoomError",
    "audience_count",
    "audience_page",
    "check",
    "create_room",
    "handle",
    "may_be_heard",
    "recording_lost",
    "require",
    "restore",
    "snapshot",
    "summary",
    "tick",
    "to_durable",
]
