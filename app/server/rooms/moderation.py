"""Moderators acting on members: mutes, removal, bans, co-hosts.

Every action aimed at a member obeys the rank rule (`permissions.require`):
the target must rank strictly below the actor, so co-hosts cannot act on each
other or on the host, and nobody acts on themselves.

A moderator's mute (`mod_muted`) holds until a moderator lifts it, also across
leaving and returning to the stage; Mute and Unmute need the target on stage.
A removed member may join again; a banned one never can. A user who is not in
the room can be banned too, and bans survive restarts.
"""

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent
from app.protocol.model import Role
from app.server.rooms.errors import RoomError
from app.server.rooms.lifecycle import depart
from app.server.rooms.permissions import Action, outranks, require, require_target
from app.server.rooms.state import Member, Room
from app.server.rooms.views import member_updated


def mute(room: Room, me: Member, user_id: int) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.MUTE, user_id)
    if not target.on_stage:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is not on stage")
    if target.mod_muted:
        return []
    target.mod_muted = True
    return [member_updated(target, "muted", by=me.user_id)]


def unmute(room: Room, me: Member, user_id: int) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.UNMUTE, user_id)
    if not target.on_stage:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is not on stage")
    if not target.mod_muted:
        return []
    target.mod_muted = False
    return [member_updated(target, "unmuted", by=me.user_id)]


def mute_all(room: Room, me: Member) -> list[AnyRoomEvent]:
    below = [m for m in room.stage() if outranks(me, m) and not m.mod_muted]
    for m in below:
        m.mod_muted = True
    return [member_updated(m, "muted", by=me.user_id) for m in below]


def remove(room: Room, me: Member, user_id: int) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.REMOVE, user_id)
    # The rank rule keeps the host out of reach, so no hand-over is needed.
    return [depart(room, target, "removed")]


def ban(room: Room, me: Member, user_id: int) -> list[AnyRoomEvent]:
    target = room.members.get(user_id)
    if target is None:
        room.bans.add(user_id)
        return []
    require(me, Action.BAN, target)
    room.bans.add(user_id)
    return [depart(room, target, "banned")]


def unban(room: Room, user_id: int) -> list[AnyRoomEvent]:
    room.bans.discard(user_id)
    return []


def make_cohost(room: Room, me: Member, user_id: int, now: float) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.MAKE_COHOST, user_id)
    if target.role is not Role.SPEAKER:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is not a speaker")
    target.set_role(Role.COHOST, now)
    return [member_updated(target, "made_cohost", by=me.user_id)]


def unmake_cohost(room: Room, me: Member, user_id: int, now: float) -> list[AnyRoomEvent]:
    target = require_target(room, me, Action.UNMAKE_COHOST, user_id)
    if target.role is not Role.COHOST:
        raise RoomError(ErrorCode.INVALID_STATE, f"{target.name} is not a co-host")
    target.set_role(Role.SPEAKER, now)
    return [member_updated(target, "unmade_cohost", by=me.user_id)]
