"""The client's room copy: events in order apply, a gap asks for a resync."""

from app.client.room_model import RoomModel
from app.protocol.events import MemberJoined, MemberLeft, MemberUpdated, RoomEnded, RoomUpdated
from app.protocol.model import AudienceCount, MemberView, Role, RoomSnapshot
from app.protocol.replies import Audience


def member(uid: int, role: Role = Role.LISTENER, hand_raised_at: float | None = None) -> MemberView:
    return MemberView(
        user_id=uid, name=f"u{uid}", role=role, joined_at=float(uid), hand_raised_at=hand_raised_at
    )


def snap(seq: int = 5) -> RoomSnapshot:
    return RoomSnapshot(
        room_id="r1",
        title="t",
        topic="",
        invite_only=False,
        stage_capacity=13,
        locked=False,
        hands_enabled=True,
        pinned_link=None,
        status="live",
        host_id=1,
        created_at=0.0,
        seq=seq,
        members=[member(1, Role.HOST), member(2)],
    )


def test_events_in_sequence_apply_and_stale_ones_are_ignored() -> None:
    model = RoomModel(snap(seq=5), me=2)
    assert model.apply(5, MemberLeft(user_id=2, reason="left"))  # already in the snapshot
    assert 2 in model.members
    assert model.apply(6, MemberJoined(member=member(3, hand_raised_at=1.0)))
    assert model.apply(7, MemberUpdated(member=member(2, hand_raised_at=9.0), cause="hand_raised"))
    assert model.apply(8, MemberUpdated(member=member(3, hand_raised_at=8.0), cause="hand_raised"))
    assert [m.user_id for m in model.hand_queue()] == [3, 2]
    assert [m.user_id for m in model.listeners_shown()] == [2, 3]
    assert [m.user_id for m in model.stage()] == [1]
    assert model.seq == 8


def test_a_listener_who_is_no_longer_shown_is_only_counted() -> None:
    model = RoomModel(snap(seq=0), me=2)
    assert model.apply(1, MemberUpdated(member=member(3, hand_raised_at=1.0), cause="hand_raised"))
    assert 3 in model.members
    # Hand down, no invitation: back in the crowd, which is counted, not listed.
    assert model.apply(2, MemberUpdated(member=member(3), cause="hand_lowered"))
    assert 3 not in model.members
    # This client's own member stays, shown or not.
    assert model.apply(3, MemberUpdated(member=member(2, hand_raised_at=2.0), cause="hand_raised"))
    assert model.apply(4, MemberUpdated(member=member(2), cause="hand_lowered"))
    assert 2 in model.members
    assert model.audience == AudienceCount()
    model.apply_audience(Audience(room_id="r1", listeners=1500, hands=7))
    assert model.audience == AudienceCount(listeners=1500, hands=7)
    assert model.to_dict()["audience"] == {"listeners": 1500, "hands": 7}


def test_a_gap_is_reported_and_nothing_is_applied() -> None:
    model = RoomModel(snap(seq=5))
    assert not model.apply(7, MemberJoined(member=member(3)))
    assert 3 not in model.members and model.seq == 5
    model.reset(snap(seq=9))
    assert model.seq == 9


def test_room_updates_and_the_end() -> None:
    model = RoomModel(snap(seq=0))
    update = RoomUpdated(
        topic="new", locked=True, hands_enabled=False, pinned_link="https://x.org", host_id=2
    )
    assert model.apply(1, update)
    assert (model.snapshot.topic, model.snapshot.locked, model.snapshot.host_id) == ("new", True, 2)
    assert model.live
    assert model.apply(2, RoomEnded(reason="ended_by_host"))
    assert not model.live and model.ended_reason == "ended_by_host"
    assert model.to_dict()["status"] == "ended"
