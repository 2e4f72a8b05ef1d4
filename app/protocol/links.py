"""Invite links: `panggung://HOST:PORT/room/ROOM_ID?invite=CODE`.

The link names the server, so that a link opened from a browser or chat
reaches the right server; `http(s)://HOST/room/...` forms are accepted too.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

SCHEME = "panggung"


@dataclass(frozen=True, slots=True)
class InviteLink:
    server: str  # host[:port]
    room_id: str
    invite_code: str | None
    secure: bool = False


def build_link(server: str, room_id: str, invite_code: str | None) -> str:
    link = f"{SCHEME}://{server}/room/{quote(room_id, safe='')}"
    return f"{link}?invite={quote(invite_code, safe='')}" if invite_code else link


def web_link(link: str, secure: bool = False) -> str:
    """The web listener's address for an invite link: the same server, path and
    code, opened in a browser (the server serves /room/ROOM_ID itself)."""
    parsed = parse_link(link)
    scheme = "https" if secure or parsed.secure else "http"
    web = f"{scheme}://{parsed.server}/room/{quote(parsed.room_id, safe='')}"
    return f"{web}?invite={quote(parsed.invite_code, safe='')}" if parsed.invite_code else web


def parse_link(text: str) -> InviteLink:
    """Parse a pasted link; raises ValueError naming what is wrong."""
    parts = urlsplit(text.strip())
    if parts.scheme not in (SCHEME, "http", "https", "ws", "wss"):
        raise ValueError(f"not a Panggung link: scheme {parts.scheme!r}")
    if not parts.netloc:
        raise ValueError("the link names no server")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2 or segments[0] != "room" or not segments[1]:
        raise ValueError("the link does not name a room (expected /room/ROOM_ID)")
    codes = parse_qs(parts.query).get("invite")
    return InviteLink(
        server=parts.netloc,
        room_id=segments[1],
        invite_code=codes[0] if codes else None,
        secure=parts.scheme in ("https", "wss"),
    )
