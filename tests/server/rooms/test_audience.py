"""The audience as a summary, in the core: who is numbered and who is only
counted, snapshots that do not grow with the audience, and a moderator's
pages that stay correct while people come and go. Deterministic: these count
events and bytes, never time."""

import random

import pytest

from app.protocol.codec import encode
from app.protocol.errors import ErrorCode
from app.protocol.events import MemberLeft, MemberUpdated, Reacted
from app.protocol.model import AudienceCount, Role
from app.protocol.requests import (
    AcceptInvite,
    Ban,
    DeclineInvite,
    DenyHand,
    InviteToStage,
    LeaveRoom,
    LowerHand,
    RaiseHand,
    React,
    Remove,
    SetHandsEnabled,
)
from app.server.rooms import (
    Actor,
    Disconnect,
    Join,
    Room,
    RoomError,
    audience_count,
    audience_page,
    handle,
    snapshot,
    tick,
)

from .helpers import HOST, new_room, run_outcome


def fill(count: int, first: int = 100, grace: float = 60.0) -> tuple[Room, list[int]]:
    room = new_room(capacity=10, grace=grace)
    ids = list(range(first, first + count))
    for user_id in ids:
        run_outcome(room, user_id, Join(None), now=1.0)
    return room, ids


def test_listener_joins_are_counted_not_numbered() -> None:
    room = new_room()
    total_events = 0
    for user_id in range(100, 1100):
        outcome = run_outcome(room, user_id, Join(None), now=1.0)
        total_events += len(outcome.events)
        assert len(outcome.quiet) == 1  # the shell still learns of it
    # 1,000 joins: nothing for anyone to be told one by one (it was 1,000
    # events, each sent to everyone already in: 500,500 frames).
    assert total_events == 0 and room.seq == 0
    assert audience_count(room) == AudienceCount(listeners=1000, hands=0)


def test_a_listeners_snapshot_does_not_grow_with_the_audience() -> None:
    sizes = []
    for audience in (10, 5000):
        room = new_room(capacity=10)
        for user_id in range(100, 100 + audience):
            run_outcome(room, user_id, Join(None), now=1.0)
        for user_id in (100, 101, 102):  # a few hands up, as in any room
            run_outcome(room, user_id, RaiseHand(), now=2.0)
        viewer = 100 + audience - 1
        snap = snapshot(room, viewer)
        assert {m.user_id for m in snap.members} == {HOST, 100, 101, 102, viewer}
        sizes.append(len(encode(snap)))
    # Only the digits of the counts and of the viewer's id differ.
    assert abs(sizes[1] - sizes[0]) <= 8, sizes


def test_raising_a_hand_shows_a_listener_and_lowering_it_hides_them_again() -> None:
    room, (a, b) = fill(2)
    up = run_outcome(room, a, RaiseHand(), now=2.0)
    assert [type(e) for _, e in up.events] == [MemberUpdated] and room.seq == 1
    assert audience_count(room) == AudienceCount(listeners=2, hands=1)
    # Once shown, a drop and a return are everyone's business...
    assert len(run_outcome(room, a, Disconnect(), now=3.0).events) == 1
    assert audience_count(room).listeners == 1
    assert len(run_outcome(room, a, Join(None), now=4.0).events) == 1
    # ... and the event that hides them again still goes out, once.
    down = run_outcome(room, a, LowerHand(), now=5.0)
    assert len(down.events) == 1 and a not in room.shown
    assert not run_outcome(room, a, Disconnect(), now=6.0).events
    # The same for an invitation that ends off stage, and for denied hands.
    invited = run_outcome(room, HOST, InviteToStage(user_id=b), now=7.0)
    assert len(invited.events) == 1 and b in room.shown
    assert len(run_outcome(room, b, DeclineInvite(), now=8.0).events) == 1
    assert b not in room.shown
    run_outcome(room, b, RaiseHand(), now=9.0)
    assert len(run_outcome(room, HOST, DenyHand(user_id=b), now=10.0).events) == 1
    assert b not in room.shown and not room.hands


def test_turning_hands_off_numbers_every_lowered_hand() -> None:
    room, ids = fill(5)
    for user_id in ids[:3]:
        run_outcome(room, user_id, RaiseHand(), now=2.0)
    outcome = run_outcome(room, HOST, SetHandsEnabled(enabled=False), now=3.0)
    assert len(outcome.events) == 4  # three hands down, then the setting
    assert not room.shown.keys() - {HOST} and audience_count(room).hands == 0


def test_unseen_listeners_leave_quietly_for_every_reason() -> None:
    room, ids = fill(4, grace=30.0)
    left, removed, banned, timed_out = ids
    outcomes = [
        run_outcome(room, left, LeaveRoom(), now=2.0),
        run_outcome(room, HOST, Remove(user_id=removed), now=2.0),
        run_outcome(room, HOST, Ban(user_id=banned), now=2.0),
    ]
    run_outcome(room, timed_out, Disconnect(), now=2.0)
    outcomes.append(tick(room, 40.0))
    reasons = []
    for outcome in outcomes:
        assert not outcome.events
        [event] = outcome.quiet
        assert isinstance(event, MemberLeft)
        reasons.append(event.reason)
    assert reasons == ["left", "removed", "banned", "timed_out"]
    assert room.seq == 0 and audience_count(room).listeners == 0 and not room.names


def test_a_shown_listener_timing_out_is_numbered() -> None:
    room, (a, b) = fill(2, grace=30.0)
    run_outcome(room, a, RaiseHand(), now=2.0)
    run_outcome(room, a, Disconnect(), now=3.0)
    run_outcome(room, b, Disconnect(), now=3.0)
    outcome = tick(room, 40.0)
    assert [e for _, e in outcome.events] == [MemberLeft(user_id=a, reason="timed_out")]
    assert outcome.quiet == [MemberLeft(user_id=b, reason="timed_out")]


def test_reactions_are_never_numbered() -> None:
    room, (a,) = fill(1)
    outcome = run_outcome(room, a, React(reaction="clap"), now=2.0)
    assert not outcome.events and outcome.quiet == [Reacted(user_id=a, reaction="clap")]
    assert not run_outcome(room, HOST, React(reaction="fire"), now=2.0).events


def test_a_moderator_finds_invites_removes_and_bans_listeners_no_event_named() -> None:
    room = new_room()
    for user_id, name in [(200, "Zed"), (201, "andi"), (202, "Anto"), (203, "budi")]:
        handle(room, Actor(user_id, name), Join(None), 1.0)
    page = audience_page(room, None, "an", 10)
    assert [m.name for m in page.members] == ["andi", "Anto"] and page.matched == 2
    assert page.next is None
    # Found by name, acted on by id: the invitation is everyone's news.
    [anto] = [m.user_id for m in page.members if m.name == "Anto"]
    invited = run_outcome(room, HOST, InviteToStage(user_id=anto), now=2.0)
    assert len(invited.events) == 1
    run_outcome(room, anto, AcceptInvite(), now=3.0)
    assert room.members[anto].role is Role.SPEAKER
    assert [m.name for m in audience_page(room, None, "", 10).members] == ["andi", "budi", "Zed"]
    run_outcome(room, HOST, Remove(user_id=200), now=4.0)
    run_outcome(room, HOST, Ban(user_id=203), now=4.0)
    assert [m.name for m in audience_page(room, None, "", 10).members] == ["andi"]
    assert 203 in room.bans


def test_bad_cursors_are_refused() -> None:
    room, _ = fill(3)
    for cursor in ("", "nope", "/5", "user1/x", "user1/٣", "a/" + "9" * 19):
        with pytest.raises(RoomError) as info:
            audience_page(room, cursor, "", 10)
        assert info.value.code == ErrorCode.INVALID


@pytest.mark.parametrize("seed", range(5))
def test_paging_returns_everyone_exactly_once_while_people_come_and_go(seed: int) -> None:
    rng = random.Random(seed)
    room = new_room(capacity=10)
    names = [f"{rng.choice('abcxyz')}{i:04d}" for i in range(600)]
    inside: set[int] = set()
    for user_id in rng.sample(range(1000, 1600), 300):
        handle(room, Actor(user_id, names[user_id - 1000]), Join(None), 1.0)
        inside.add(user_id)
    stayed = set(inside)  # in the room for the whole paging run
    seen: list[int] = []
    cursor: str | None = None
    now = 2.0
    while True:
        page = audience_page(room, cursor, "", rng.randint(1, 40))
        seen += [m.user_id for m in page.members]
        # Between pages: some leave (in any way), some join, some come back.
        for _ in range(rng.randint(0, 15)):
            now += 0.1
            if inside and rng.random() < 0.5:
                gone = rng.choice(sorted(inside))
                if rng.random() < 0.5:
                    handle(room, Actor(gone, "x"), LeaveRoom(), now)
                else:
                    handle(room, Actor(HOST, "x"), Remove(user_id=gone), now)
                inside.discard(gone)
                stayed.discard(gone)
            else:
                user_id = rng.randrange(1000, 1600)
                if user_id not in room.members:
                    handle(room, Actor(user_id, names[user_id - 1000]), Join(None), now)
                    inside.add(user_id)
        if page.next is None:
            break
        cursor = page.next
    assert len(seen) == len(set(seen)), "someone appeared twice"
    assert stayed <= set(seen), "someone who stayed was skipped"
    keys = [(names[u - 1000].casefold(), u) for u in seen]
    assert keys == sorted(keys)


def test_prefix_pages_count_and_stop_at_the_prefix() -> None:
    room = new_room()
    for i in range(250):
        handle(room, Actor(1000 + i, f"{'ab' if i % 2 else 'b'}{i:03d}"), Join(None), 1.0)
    got: list[str] = []
    cursor = None
    while True:
        page = audience_page(room, cursor, "AB", 50)
        assert page.matched == 125
        got += [m.name for m in page.members]
        if page.next is None:
            break
        cursor = page.next
    assert len(got) == 125 and all(n.startswith("ab") for n in got)
    assert audience_page(room, None, "zz", 50).members == []
    assert audience_page(room, None, "", 500).matched == 250
