"""Signing in to one server, and the token it gives, kept in the keyring.

Each server and user has one keyring entry; a token the server calls
invalid is forgotten, so the next start asks for the password instead of
failing the same way again. A failed attempt closes its connection.
"""

import contextlib

from app.client.connection import RequestFailed
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.protocol.requests import Logout


class SignIn:
    def __init__(self, url: str, tokens: TokenStore, account_key: str) -> None:
        self.url = url
        self.tokens = tokens
        # Which server a token belongs to ("local" for the embedded one, whose
        # port changes from run to run).
        self.account_key = account_key

    async def with_password(self, username: str, password: str, register: bool) -> RoomClient:
        client = self._new_client()
        try:
            await client.connect()
            if register:
                await client.register(username, password)
            else:
                await client.login(username, password)
        except BaseException:
            await _close(client)
            raise
        self._remember(client)
        return client

    def saved_token(self, username: str) -> str | None:
        """The keyring's token for `username` on this server, if there is one."""
        return self.tokens.get(self._account(username)) if username else None

    async def with_token(self, username: str, token: str) -> RoomClient:
        """Resume with a saved token; one the server calls invalid is forgotten."""
        client = self._new_client()
        try:
            await client.connect()
            await client.resume(token)
        except BaseException as exc:
            if isinstance(exc, RequestFailed) and exc.code == "invalid_token":
                self.tokens.delete(self._account(username))
            await _close(client)
            raise
        self._remember(client)
        return client

    async def sign_out(self, client: RoomClient) -> None:
        """End the session on the server (best effort) and forget its token."""
        with contextlib.suppress(Exception):
            await client.request(Logout())
        self.tokens.delete(self._account(client.username))

    def _new_client(self) -> RoomClient:
        return RoomClient(self.url, client_name="panggung-desktop", reconnect=True)

    def _remember(self, client: RoomClient) -> None:
        assert client.token is not None
        self.tokens.set(self._account(client.username), client.token)

    def _account(self, username: str) -> str:
        return f"{self.account_key}|{username}"


async def _close(client: RoomClient) -> None:
    with contextlib.suppress(Exception):
        await client.close()
