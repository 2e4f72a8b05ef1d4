"""Every action by every role that may not take it, over the wire: refused
with `forbidden`, and nothing changes (no event, the same snapshot).

The room core's own test (tests/server/rooms/test_permissions.py) walks the
table in memory; this one sends the requests through the real server, so a
shell that skipped the gate or trusted a field would show here.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from app.protocol.model import Role
from app.server.rooms import PERMISSIONS, Action

from .conftest import Peer, Peers

# Each action as a request, aimed (where it aims) at a member it could apply to.
Targets = dict[str, int]
REQUESTS: dict[Action, Callable[[Targets], dict[str, Any]]] = {
    Action.LEAVE_ROOM: lambda t: {"type": "leave_room"},
    Action.REACT: lambda t: {"type": "react", "reaction": "clap"},
    Action.RAISE_HAND: lambda t: {"type": "raise_hand"},
    Action.LOWER_HAND: lambda t: {"type": "lower_hand"},
    Action.ACCEPT_INVITE: lambda t: {"type": "accept_invite"},
    Action.DECLINE_INVITE: lambda t: {"type": "decline_invite"},
    Action.SELF_MUTE: lambda t: {"type": "self_mute", "muted": True},
    Action.SELF_UNMUTE: lambda t: {"type": "self_mute", "muted": False},
    Action.PUSH_TO_TALK: lambda t: {"type": "push_to_talk", "pressed": True},
    Action.SET_TALK_MODE: lambda t: {"type": "set_talk_mode", "voice_activity": True},
    Action.LEAVE_STAGE: lambda t: {"type": "leave_stage"},
    Action.APPROVE_HAND: lambda t: {"type": "approve_hand", "user_id": t["hand"]},
    Action.DENY_HAND: lambda t: {"type": "deny_hand", "user_id": t["hand"]},
    Action.INVITE_TO_STAGE: lambda t: {"type": "invite_to_stage", "user_id": t["audience"]},
    Action.MOVE_TO_AUDIENCE: lambda t: {"type": "move_to_audience", "user_id": t["speaker2"]},
    Action.MUTE: lambda t: {"type": "mute", "user_id": t["speaker2"]},
    Action.UNMUTE: lambda t: {"type": "unmute", "user_id": t["speaker2"]},
    Action.MUTE_ALL: lambda t: {"type": "mute_all"},
    Action.REMOVE: lambda t: {"type": "remove", "user_id": t["speaker2"]},
    Action.BAN: lambda t: {"type": "ban", "user_id": t["speaker2"]},
    Action.UNBAN: lambda t: {"type": "unban", "user_id": t["outsider"]},
    Action.SET_LOCKED: lambda t: {"type": "set_locked", "locked": True},
    Action.SET_HANDS_ENABLED: lambda t: {"type": "set_hands_enabled", "enabled": False},
    Action.SET_FLOOR_CONTROL: lambda t: {"type": "set_floor_control", "enabled": True},
    Action.SET_TOPIC: lambda t: {"type": "set_topic", "topic": "taken over"},
    Action.PIN_LINK: lambda t: {"type": "pin_link", "url": "https://evil.example"},
    Action.ADD_INVITE: lambda t: {"type": "create_invite"},
    Action.SET_RECORDING: lambda t: {"type": "set_recording", "on": True},
    Action.END_ROOM: lambda t: {"type": "end_room"},
    Action.MAKE_COHOST: lambda t: {"type": "make_cohost", "user_id": t["speaker2"]},
    Action.UNMAKE_COHOST: lambda t: {"type": "unmake_cohost", "user_id": t["cohost2"]},
    Action.LIST_AUDIENCE: lambda t: {"type": "list_audience"},
    Action.LIST_BANS: lambda t: {"type": "list_bans"},
}
ACTING = (Role.COHOST, Role.SPEAKER, Role.LISTENER)
WRONG = [(role, action) for role in ACTING for action in Action if action not in PERMISSIONS[role]]


def test_every_action_has_a_request() -> None:
    assert set(REQUESTS) == set(Action)


async def _stage(host: Peer, peer: Peer) -> None:
    await host.ok("invite_to_stage", user_id=peer.user_id)
    await peer.ok("accept_invite")


async def _scene(peers: Peers) -> tuple[Peer, dict[Role, Peer], Targets]:
    host = await peers.user("host")
    room_id = (await host.ok("create_room", title="Guarded", stage_capacity=10))["room"]["room_id"]
    await host.ok("ban", user_id=2_000_000)  # an outsider to unban
    names = ("co", "co2", "sp", "sp2", "ls", "hd", "au")
    who = {name: await peers.user(f"{name}-member") for name in names}
    for peer in who.values():
        await peer.ok("join_room", room_id=room_id)
    for name in ("co", "co2", "sp", "sp2"):
        await _stage(host, who[name])
    await host.ok("make_cohost", user_id=who["co"].user_id)
    await host.ok("make_cohost", user_id=who["co2"].user_id)
    await who["hd"].ok("raise_hand")
    await who["ls"].ok("raise_hand")  # the acting listener has a hand to lower, too
    await host.ok("mute", user_id=who["sp2"].user_id)  # something to unmute
    actors = {Role.COHOST: who["co"], Role.SPEAKER: who["sp"], Role.LISTENER: who["ls"]}
    targets = {
        "hand": who["hd"].user_id,
        "audience": who["au"].user_id,
        "speaker2": who["sp2"].user_id,
        "cohost2": who["co2"].user_id,
        "outsider": 2_000_000,
    }
    return host, actors, targets


async def test_every_wrong_role_is_refused_and_changes_nothing(peers: Peers) -> None:
    # One scene for all the checks: building it (eight sign-ins) is the slow part.
    host, actors, targets = await _scene(peers)
    # What each member is told they may do is their role's row; everything
    # else is refused below.
    for role, peer in actors.items():
        pushed = set((await peer.ok("sync"))["room"]["allowed"])
        assert pushed == {action.value for action in PERMISSIONS[role]}, role
        assert not {action.value for r, action in WRONG if r is role} & pushed
    before = (await host.ok("sync"))["room"]
    host.pushed.clear()
    refused = []
    for role, action in WRONG:
        request = REQUESTS[action](targets)
        reply = await _paced(actors[role], request.pop("type"), **request)
        refused.append((role.value, action.value, reply.get("code")))
    # A co-host aiming at the host, at another co-host, or at themselves.
    cohost = actors[Role.COHOST]
    for kind, user_id in [
        ("mute", host.user_id),
        ("remove", host.user_id),
        ("ban", host.user_id),
        ("move_to_audience", targets["cohost2"]),
        ("mute", targets["cohost2"]),
        ("remove", cohost.user_id),
        ("ban", cohost.user_id),
    ]:
        reply = await cohost.call(kind, user_id=user_id)
        refused.append(("cohost", f"{kind} {user_id}", reply.get("code")))
    # Fields a client adds never grant a role.
    for extra in ({"role": "host"}, {"as": "host"}, {"user_id": host.user_id, "by": 1}):
        reply = await _paced(actors[Role.LISTENER], "set_topic", topic="mine now", **extra)
        refused.append(("listener", f"set_topic {extra}", reply.get("code")))

    wrong = [r for r in refused if r[2] != "forbidden"]
    assert not wrong, wrong
    assert len(refused) >= 50
    # Not one event, not one change: the same snapshot, the same seq.
    assert (await host.ok("sync"))["room"] == before
    assert not [m for m in host.pushed if m["type"] == "event"]


async def _paced(peer: Peer, kind: str, **fields: Any) -> dict[str, Any]:
    """The reply to a request, waiting out the connection's flood limit (which
    the listener's many refused requests reach; its own tests are elsewhere)."""
    for _ in range(20):
        reply: dict[str, Any] = await peer.call(kind, **fields)
        if reply.get("code") != "rate_limited":
            return reply
        await asyncio.sleep(0.25)
    raise AssertionError(f"{kind}: still rate limited")


def _allowed(message: dict[str, Any]) -> bool:
    return bool(message["type"] == "allowed")


async def test_what_a_member_may_do_is_pushed_when_it_changes(peers: Peers) -> None:
    host = await peers.user("host")
    made = await host.ok("create_room", title="Pushed", stage_capacity=5)
    assert set(made["room"]["allowed"]) == {a.value for a in PERMISSIONS[Role.HOST]}
    guest = await peers.user("guest")
    joined = await guest.ok("join_room", room_id=made["room"]["room_id"])
    assert set(joined["room"]["allowed"]) == {a.value for a in PERMISSIONS[Role.LISTENER]}

    async def told() -> set[str]:
        message = await guest.wait_pushed(_allowed)
        guest.pushed.remove(message)
        assert message["room_id"] == made["room"]["room_id"]
        return set(message["actions"])

    await host.ok("invite_to_stage", user_id=guest.user_id)
    assert not [m for m in guest.pushed if m["type"] == "allowed"]  # invited: nothing changed
    await guest.ok("accept_invite")
    assert await told() == {a.value for a in PERMISSIONS[Role.SPEAKER]}
    await host.ok("mute", user_id=guest.user_id)
    muted = await told()
    assert muted == {a.value for a in PERMISSIONS[Role.SPEAKER]} - {Action.SELF_UNMUTE.value}
    assert (await guest.call("self_mute", muted=False))["code"] == "forbidden"
    await host.ok("unmute", user_id=guest.user_id)
    assert Action.SELF_UNMUTE.value in await told()
    await host.ok("make_cohost", user_id=guest.user_id)
    assert await told() == {a.value for a in PERMISSIONS[Role.COHOST]}
    await guest.ok("self_mute", muted=True)  # a change that changes nothing one may do
    await host.ok("move_to_audience", user_id=guest.user_id)
    assert await told() == {a.value for a in PERMISSIONS[Role.LISTENER]}
    assert not [m for m in guest.pushed if m["type"] == "allowed"]
    assert not [m for m in host.pushed if m["type"] == "allowed"]  # only the one concerned
