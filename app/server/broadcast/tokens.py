"""Signed stream tokens: how a member of an invite-only room fetches its HLS.

A token names the room, the member and an expiry, signed with HMAC-SHA256
by the node that serves the stream. It travels in the URL's path
(`/hls/ROOM/t/TOKEN/index.m3u8`), not its query, so that the playlist's
relative segment URLs carry it too and any HLS player works unchanged. The
signature is not the whole check: the server also requires the member to
be in the room still and not banned (`app/server/broadcast/streams.py`), so
leaving or being removed ends access at once; the expiry only bounds how
long a leaked URL is worth anything.

In a cluster the HLS secret is the cluster's (`ClusterNode.share_secret`,
kept in Redis): any node can then refuse a forged token itself, and a
member's token still works at a new origin after a takeover.

Replays (`app/server/replays.py`) use the same signer with their own scope
and secret: `room_id` is then the recording's id, and a token of one scope
never verifies in the other.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Callable

# user id . expiry (unix seconds) . signature (base64url, no padding)
_TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})")
TOKEN_PATTERN = r"[0-9]{1,10}\.[0-9]{1,12}\.[A-Za-z0-9_-]{43}"


class StreamTokens:
    def __init__(
        self,
        secret: bytes | Callable[[], bytes],
        lifetime: float = 3600.0,
        scope: str = "hls",
    ) -> None:
        """`secret`: the key, or where to read it at each use (a cluster's, which
        may be agreed again after Redis restarted)."""
        self._secret = secret if callable(secret) else _checked(secret)
        self.lifetime = lifetime
        self._scope = scope

    def issue(self, room_id: str, user_id: int, now: float) -> str:
        expires = int(now + self.lifetime)
        return f"{user_id}.{expires}.{self._sign(room_id, user_id, expires)}"

    def verify(self, room_id: str, token: str, now: float) -> int | None:
        """The member the token was issued to, or None (forged, another room's, expired)."""
        found = _TOKEN.fullmatch(token)
        if found is None:
            return None
        user_id, expires = int(found.group(1)), int(found.group(2))
        if not hmac.compare_digest(found.group(3), self._sign(room_id, user_id, expires)):
            return None
        return user_id if now < expires else None

    def _sign(self, room_id: str, user_id: int, expires: int) -> str:
        message = f"{self._scope}\0{room_id}\0{user_id}\0{expires}".encode()
        secret = _checked(self._secret()) if callable(self._secret) else self._secret
        digest = hmac.new(secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _checked(secret: bytes) -> bytes:
    if len(secret) < 16:
        raise ValueError("a stream token secret needs at least 16 bytes")
    return secret
