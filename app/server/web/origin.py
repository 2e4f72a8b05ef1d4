"""Which browsers may talk to this server: an Origin and Host check on every request.

A browser names the page behind a request in `Origin` (always for WebSockets
and POSTs); the desktop app and the bot send none. Without a check, any web
site a user visits could open `ws://127.0.0.1:8765/ws` — the desktop app's
embedded server — and act there. So a request that carries an Origin passes
only when it comes from this server's own web page (the same host and port as
the request's `Host`) or from an origin the operator allowed by name.

`Host` itself must be one of the names the server knows it has (where it
listens, its public address, the loopback names). That stops DNS rebinding: a
hostile name that resolves to 127.0.0.1 would otherwise make a foreign page
"same-origin". A server that listens on every interface and was given no
public address does not know its names, so there any Host passes (the Origin
rule still holds).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
# Paths a browser loads by navigating (no Origin then): checked by Host.
BROWSER_PATHS = ("/room/", "/web/")

# host, port; the port is None for a scheme's default (80, 443) or when absent.
Authority = tuple[str, int | None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def authority(netloc: str) -> Authority | None:
    """`host[:port]` in one spelling: lower case, no brackets, 80/443 as None."""
    try:
        parts = urlsplit(f"//{netloc}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or parts.username is not None:
        return None
    return host.rstrip("."), None if port in (80, 443) else port


class OriginPolicy:
    """Built before the server binds (aiohttp wants its middlewares then);
    `bound` names the port once it is known (port 0 picks one)."""

    def __init__(
        self,
        listen_host: str,
        public_address: str | None = None,
        allowed_origins: Iterable[str] = (),
    ) -> None:
        wildcard = listen_host in WILDCARDS
        self._any_host = wildcard and public_address is None
        self._names = list(LOOPBACK_NAMES) + ([] if wildcard else [listen_host.lower()])
        self._public = authority(public_address) if public_address else None
        if public_address and self._public is None:
            raise ValueError(f"not a host[:port]: {public_address!r}")
        self._hosts: set[Authority] = set()
        self._origins = frozenset(o.rstrip("/").lower() for o in allowed_origins)

    def bound(self, port: int) -> None:
        ours = None if port in (80, 443) else port
        self._hosts = {(name, ours) for name in self._names}
        if self._public is not None:
            self._hosts.add(self._public)
            if self._public[1] is None:  # no port named: direct on ours, or a proxy's default
                self._hosts.add((self._public[0], ours))

    def host_allowed(self, host_header: str | None) -> bool:
        if self._any_host:
            return True
        return host_header is not None and authority(host_header) in self._hosts

    def origin_allowed(self, origin: str | None, host_header: str | None) -> bool:
        """No Origin (not a browser) passes; a browser's must be our own page or allowed."""
        if origin is None:
            return True
        if "*" in self._origins or origin.rstrip("/").lower() in self._origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            return False  # "null" (sandboxed frames, files) and anything odd
        ours = authority(host_header or "")
        return (
            ours is not None and authority(parts.netloc) == ours and self.host_allowed(host_header)
        )

    def middleware(self) -> Middleware:
        @web.middleware
        async def check_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
            origin = request.headers.get("Origin")
            host = request.headers.get("Host")
            if not self.origin_allowed(origin, host):
                log.info("refused %s %s from origin %r", request.method, request.path, origin)
                raise web.HTTPForbidden(text=f"requests from origin {origin!r} are not allowed\n")
            if request.path.startswith(BROWSER_PATHS) and not self.host_allowed(host):
                log.info("refused %s under host %r", request.path, host)
                raise web.HTTPMisdirectedRequest(text=f"this server is not {host!r}\n")
            return await handler(request)

        return check_origin
