"""Who may play, change or delete a replay: the permission module's table."""

import pytest

from app.server.rooms.permissions import may_manage_replay, may_play_replay
from app.server.rooms.replay_access import ReplayFacts, ReplayViewer

HOST, OWNER, COHOST, MEMBER, STRANGER = 1, 2, 3, 4, 5


def _facts(visibility: str, invite_only: bool, finished: bool = True) -> ReplayFacts:
    return ReplayFacts(visibility, invite_only, HOST, OWNER, finished)


VIEWERS = {
    HOST: ReplayViewer(HOST, True, True),
    OWNER: ReplayViewer(OWNER),  # left before the end: still the one who recorded
    COHOST: ReplayViewer(COHOST, True, True),
    MEMBER: ReplayViewer(MEMBER, True, False),
    STRANGER: ReplayViewer(STRANGER),
}


@pytest.mark.parametrize(
    ("visibility", "invite_only", "may"),
    [
        ("private", False, {HOST, OWNER, COHOST}),
        ("private", True, {HOST, OWNER, COHOST}),
        ("public", False, {HOST, OWNER, COHOST, MEMBER, STRANGER}),
        ("public", True, {HOST, OWNER, COHOST, MEMBER}),
    ],
)
def test_who_may_play(visibility: str, invite_only: bool, may: set[int]) -> None:
    facts = _facts(visibility, invite_only)
    assert {u for u, v in VIEWERS.items() if may_play_replay(facts, v)} == may


def test_nobody_plays_an_unfinished_recording_and_only_the_host_manages() -> None:
    running = _facts("public", False, finished=False)
    assert not any(may_play_replay(running, v) for v in VIEWERS.values())
    facts = _facts("public", False)
    assert [u for u in VIEWERS if may_manage_replay(facts, u)] == [HOST]
