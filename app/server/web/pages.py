"""GET /room/{room_id}: a room's web page; GET /web/{file}: the page's own files.

The page is plain HTML, CSS and ES modules (no build step): it talks the same
WebSocket protocol as the desktop app and plays the room through the
browser's own RTCPeerConnection. The HTML carries a public room's title,
topic, host and counts, so that a shared link shows what it is before anyone
signs in (and in link previews); invite-only rooms, ended ones and unknown ids
look alike: nothing about them is shown until a signed-in member joins.

Everything the server puts into the HTML is escaped, and the page's own
script only ever writes text (`textContent`): the Content-Security-Policy
below allows no inline script or style and, through Trusted Types, no HTML
parsing from strings at all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from string import Template

from aiohttp import web

from app.protocol.model import RoomSummary

STATIC = Path(__file__).with_name("static")
# What /web/ serves: a fixed list, so no client path ever reaches the disk.
FILES = {
    "app.js": "text/javascript",
    "broadcast.js": "text/javascript",
    "connection.js": "text/javascript",
    "i18n.js": "text/javascript",
    "listen.js": "text/javascript",
    "room-model.js": "text/javascript",
    "view.js": "text/javascript",
    # hls.js, installed by scripts/ensure-web.sh (absent from a bare checkout).
    "hls.mjs": "text/javascript",
    "style.css": "text/css",
    "icon.svg": "image/svg+xml",
}
ROOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        # 'self' covers ws:// and wss:// to this same host (CSP level 3).
        "connect-src 'self'",
        # blob: is the Media Source hls.js plays the broadcast through.
        "media-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # An invite code in the address must not follow a click on a pinned link.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), payment=(), usb=()",
}

Preview = Callable[[str], RoomSummary | None]


def public_preview(rooms: Callable[[], list[RoomSummary]]) -> Preview:
    """A directory lookup: only rooms anyone may see (public and live)."""

    def find(room_id: str) -> RoomSummary | None:
        return next((r for r in rooms() if r.room_id == room_id and not r.invite_only), None)

    return find


class WebPages:
    def __init__(self, preview: Preview, protocol_version: int) -> None:
        self._preview = preview
        self._protocol = protocol_version
        self._template = Template((STATIC / "room.html").read_text(encoding="utf-8"))

    def install(self, app: web.Application) -> None:
        app.router.add_get("/room/{room_id}", self.room)
        app.router.add_get("/web/{name}", self.static)

    async def room(self, request: web.Request) -> web.Response:
        room_id = request.match_info["room_id"]
        if not ROOM_ID.fullmatch(room_id):
            raise web.HTTPNotFound(text="no such room", headers=HEADERS)
        page = self.render(room_id, self._preview(room_id))
        return web.Response(
            text=page,
            content_type="text/html",
            charset="utf-8",
            headers={**HEADERS, "Cache-Control": "no-store"},
        )

    def render(self, room_id: str, room: RoomSummary | None) -> str:
        def esc(text: str) -> str:
            return html.escape(text, quote=True)

        return self._template.substitute(
            protocol=self._protocol,
            room_id=esc(room_id),
            known="true" if room is not None else "false",
            page_title=esc(f"{room.title} · Panggung" if room else "Panggung"),
            title=esc(room.title if room else ""),
            topic=esc(room.topic if room else ""),
            host=esc(room.host_name if room else ""),
            speakers=room.speakers if room else 0,
            listeners=room.listeners if room else 0,
        )

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        kind = FILES.get(name)
        if kind is None:
            raise web.HTTPNotFound(text="no such file", headers=HEADERS)
        # Revalidated on every load (ETag, Last-Modified): a new server version
        # is picked up at once, unchanged files cost a 304.
        return web.FileResponse(
            STATIC / name,
            headers={
                **HEADERS,
                "Content-Type": f"{kind}; charset=utf-8",
                "Cache-Control": "no-cache",
            },
        )
