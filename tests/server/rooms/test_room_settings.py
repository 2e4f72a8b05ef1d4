"""Lock, hands, topic, pinned link and invite codes."""

from collections.abc import Sequence

import pytest

from app.protocol.errors import ErrorCode
from app.protocol.events import AnyRoomEvent, MemberUpdated, RoomUpdated
from app.protocol.model import Role
from app.protocol.requests import PinLink, SetHandsEnabled, SetLocked, SetTopic
from app.server.rooms import AddInvite, Join, RoomCommand

from .helpers import HOST, add, new_room, refused, run


def room_update(events: Sequence[AnyRoomEvent]) -> RoomUpdated:
    [event] = events
    assert isinstance(event, RoomUpdated)
    return event


def test_lock_carries_every_setting() -> None:
    room = new_room()
    room.topic = "t"
    room.pinned_link = "https://x.example"
    add(room, 2, Role.COHOST)
    ev = room_update(run(room, 2, SetLocked(locked=True)))
    assert ev == RoomUpdated(
        topic="t",
        locked=True,
        hands_enabled=True,
        pinned_link="https://x.example",
        host_id=HOST,
        by=2,
    )
    assert room.locked
    assert run(room, 2, SetLocked(locked=True)) == []


def test_disabling_hands_lowers_them_in_queue_order() -> None:
    room = new_room()
    add(room, 2, Role.LISTENER, hand_raised_at=5.0)
    add(room, 3, Role.LISTENER, hand_raised_at=2.0)
    add(room, 4, Role.LISTENER)
    events = run(room, HOST, SetHandsEnabled(enabled=False))
    cleared = [(e.member.user_id, e.cause, e.by) for e in events if isinstance(e, MemberUpdated)]
    assert cleared == [(3, "hands_disabled", HOST), (2, "hands_disabled", HOST)]
    assert isinstance(events[-1], RoomUpdated) and not events[-1].hands_enabled
    assert len(events) == 3
    assert all(m.hand_raised_at is None for m in room.members.values())
    assert room_update(run(room, HOST, SetHandsEnabled(enabled=True))).hands_enabled


def test_topic() -> None:
    room = new_room()
    assert room_update(run(room, HOST, SetTopic(topic="x" * 280))).topic == "x" * 280
    refused(room, HOST, SetTopic(topic="x" * 281), ErrorCode.INVALID)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=c",
        "http://10.0.0.1:8080/",
        "HTTPS://Example.com",
        "https://" + "a" * 2040,
    ],
)
def test_pin_valid_link(url: str) -> None:
    room = new_room()
    assert room_update(run(room, HOST, PinLink(url=url))).pinned_link == url
    assert room_update(run(room, HOST, PinLink(url=None))).pinned_link is None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com",
        "ftp://example.com",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.com",
        "https://example.com/\n",
        "http://[::1",
        "https://" + "a" * 2041,
    ],
)
def test_pin_invalid_link(url: str) -> None:
    room = new_room()
    refused(room, HOST, PinLink(url=url), ErrorCode.INVALID)


def test_settings_need_a_moderator() -> None:
    room = new_room()
    add(room, 2, Role.SPEAKER)
    commands: list[RoomCommand] = [
        SetLocked(locked=True),
        SetTopic(topic="x"),
        PinLink(url=None),
    ]
    for cmd in commands:
        refused(room, 2, cmd, ErrorCode.FORBIDDEN)


def test_add_invite_lets_a_newcomer_in() -> None:
    room = new_room(invite_only=True)
    add(room, 2, Role.COHOST)
    assert run(room, 2, AddInvite("abc")) == []
    assert "abc" in room.invites
    run(room, 3, Join("abc"))
    assert 3 in room.members
    refused(room, 2, AddInvite(""), ErrorCode.INVALID)
    refused(room, 3, AddInvite("zzz"), ErrorCode.FORBIDDEN)
