import pytest

from app.protocol.links import build_link, parse_link, web_link


def test_an_invite_link_as_a_web_address() -> None:
    link = build_link("rooms.example.org:8765", "q3Xk_9aB", "c0de")
    assert web_link(link) == "http://rooms.example.org:8765/room/q3Xk_9aB?invite=c0de"
    assert web_link(link, secure=True).startswith("https://rooms.example.org:8765/")
    assert web_link(build_link("h:1", "r", None)) == "http://h:1/room/r"
    assert web_link("https://h/room/r?invite=x") == "https://h/room/r?invite=x"
    round_trip = parse_link(web_link(link))
    assert (round_trip.room_id, round_trip.invite_code) == ("q3Xk_9aB", "c0de")
    with pytest.raises(ValueError):
        web_link("ftp://h/room/r")
