"""Snapshots, directory summaries, and the durable round trip."""

from typing import Never

from app.protocol.codec import encode
from app.protocol.model import AudienceCount, MemberView, Role
from app.protocol.requests import RaiseHand
from app.server.rooms import Join, restore, snapshot, summary, tick, to_durable
from app.server.rooms.state import Member

from .helpers import HOST, add, new_room, run


def test_snapshot_lists_who_is_shown_and_the_viewer_in_join_order() -> None:
    room = new_room()
    run(room, 3, Join(None), now=1.0)
    run(room, 2, Join(None), now=2.0)
    run(room, 4, Join(None), now=3.0)
    run(room, 4, RaiseHand(), now=4.0)
    # Listener joins are counted, not numbered; the raised hand is shown.
    snap = snapshot(room, 3)
    assert [m.user_id for m in snap.members] == [HOST, 3, 4]
    assert snap.seq == room.seq == 1
    assert snap.members[1] == MemberView(user_id=3, name="user3", role=Role.LISTENER, joined_at=1.0)
    assert snap.audience == AudienceCount(listeners=3, hands=1)
    assert [m.user_id for m in snapshot(room).members] == [HOST, 4]
    assert b'"host_id":1' in encode(snap)


def test_summary_counts_connected_members_only() -> None:
    room = new_room()
    add(room, 2, Role.SPEAKER)
    add(room, 3, Role.COHOST, connected=False, disconnected_at=1.0)
    add(room, 4, Role.LISTENER)
    add(room, 5, Role.LISTENER)
    add(room, 6, Role.LISTENER, connected=False, disconnected_at=1.0)
    s = summary(room)
    assert (s.host_name, s.speakers, s.listeners) == ("user1", 2, 2)


def test_durable_keeps_the_stage_raised_hands_bans_and_invites_only() -> None:
    room = new_room()
    add(room, 4, Role.LISTENER, hand_raised_at=1.0)
    add(room, 5, Role.LISTENER, invited=True)  # neither hand nor stage: not kept
    add(room, 6, Role.LISTENER, hand_raised_at=0.5)
    add(room, 3, Role.SPEAKER, mod_muted=True, role_since=2.0)
    add(room, 2, Role.COHOST, role_since=3.0, self_muted=True)
    room.bans.update({8, 9})
    room.invites.add("code")
    d = to_durable(room)
    assert [(m.user_id, m.role, m.mod_muted, m.hand_raised_at) for m in d.members] == [
        (HOST, Role.HOST, False, None),
        (2, Role.COHOST, False, None),
        (3, Role.SPEAKER, True, None),
        (4, Role.LISTENER, False, 1.0),
        (6, Role.LISTENER, False, 0.5),
    ]
    assert (d.bans, d.invites) == (frozenset({8, 9}), frozenset({"code"}))
    restored = restore(d, now=500.0, grace_period=30.0)
    assert to_durable(restored) == d
    assert restored.seq == 0 and restored.grace_period == 30.0 and 5 not in restored.members
    # The hand queue, in its order.
    assert [m.user_id for m in restored.hand_queue()] == [6, 4]
    assert all(not m.connected and m.disconnected_at == 500.0 for m in restored.members.values())
    assert not restored.members[2].self_muted


def test_restored_room_runs_the_grace_period_from_the_restart() -> None:
    room = new_room()
    add(room, 2, Role.COHOST, role_since=3.0)
    restored = restore(to_durable(room), now=500.0, grace_period=30.0)
    run(restored, 2, Join(None), now=510.0)
    assert not tick(restored, 529.0)
    tick(restored, 530.0)
    assert restored.host_id == 2 and restored.live and HOST not in restored.members


class _Unwalkable(dict[int, Member]):
    """A members dict that fails if anything walks the whole audience."""

    def values(self) -> Never:
        raise AssertionError("walked every member")

    def items(self) -> Never:
        raise AssertionError("walked every member")

    def __iter__(self) -> Never:
        raise AssertionError("walked every member")


def test_the_durable_part_is_read_from_the_indexes_not_the_whole_audience() -> None:
    # The hub compares the durable part before and after every join: walking
    # the audience there made a join cost O(audience) (a storm O(N²)).
    room = new_room()
    for user_id in range(10, 40):
        run(room, user_id, Join(None), now=1.0)
    run(room, 12, RaiseHand(), now=2.0)
    add(room, 3, Role.SPEAKER)
    expected = to_durable(room)
    room.members = _Unwalkable(room.members)
    assert to_durable(room) == expected
    assert [m.user_id for m in expected.members] == [HOST, 3, 12]
