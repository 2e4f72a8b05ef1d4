"""Invite links round-trip and bad ones are refused with a reason."""

import pytest

from app.protocol.links import build_link, parse_link


def test_a_built_link_parses_back() -> None:
    link = build_link("chat.example.org:8765", "Ab-3_x", "code/with?odd=chars")
    parsed = parse_link(link)
    assert link.startswith("panggung://chat.example.org:8765/room/")
    assert (parsed.server, parsed.room_id, parsed.invite_code) == (
        "chat.example.org:8765",
        "Ab-3_x",
        "code/with?odd=chars",
    )


def test_pasted_web_links_work_too() -> None:
    parsed = parse_link("  https://panggung.example/room/r42?invite=abc \n")
    assert (parsed.server, parsed.room_id, parsed.invite_code, parsed.secure) == (
        "panggung.example",
        "r42",
        "abc",
        True,
    )
    assert parse_link("panggung://h/room/r1").invite_code is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ftp://h/room/r1", "scheme"),
        ("panggung:///room/r1", "no server"),
        ("panggung://h/rooms/r1", "does not name a room"),
        ("panggung://h/room/", "does not name a room"),
        ("just some words", "scheme"),
    ],
)
def test_bad_links_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_link(text)
