"""Joins forwarded to another node's room keep the events that arrive while
they wait, each its own: two joins in flight must never lose each other's."""

from app.server.joins_in_flight import JoinsInFlight


def test_a_finished_join_stops_only_its_own_collection() -> None:
    joins = JoinsInFlight()
    earlier, later = joins.start("r"), joins.start("r")  # two joins waiting on the origin
    # The later join is answered first, while both lists are still equal
    # (empty): removing by equality took the earlier one's list instead.
    joins.stop("r", later)
    joins.keep("r", 7, b"frame")
    assert earlier == [(7, b"frame")] and later == []
    assert joins.waiting("r")
    joins.stop("r", earlier)
    assert not joins.waiting("r")
    joins.keep("r", 8, b"late")  # nobody waits: nothing kept
    assert earlier == [(7, b"frame")]


def test_events_of_other_rooms_are_not_kept() -> None:
    joins = JoinsInFlight()
    mine = joins.start("a")
    joins.keep("b", 1, b"other room")
    assert mine == [] and not joins.waiting("b")
