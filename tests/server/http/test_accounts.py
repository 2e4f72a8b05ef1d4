"""Accounts over the wire: register, log in, resume a session, log out."""

import pytest

from app.client.connection import RequestFailed
from app.client.session import RoomClient
from app.protocol.requests import Logout
from app.server.accounts import Accounts, token_hash
from app.server.app import RunningServer
from app.server.store import open_store

from .conftest import PASSWORD, ClientFactory


async def fresh(server: RunningServer) -> RoomClient:
    client = RoomClient(server.url, reconnect=False)
    await client.connect()
    return client


async def test_register_login_resume_logout(server: RunningServer) -> None:
    first = await fresh(server)
    auth = await first.register("Ayu", PASSWORD)
    assert auth.username == "Ayu" and auth.token
    await first.close()

    second = await fresh(server)
    again = await second.login("ayu", PASSWORD)  # names are case-insensitive
    assert again.user_id == auth.user_id and again.token != auth.token
    await second.close()

    third = await fresh(server)
    resumed = await third.resume(auth.token)
    assert resumed.user_id == auth.user_id
    await third.conn.call(Logout())
    await third.close()

    fourth = await fresh(server)
    with pytest.raises(RequestFailed) as refused:
        await fourth.resume(auth.token)
    assert refused.value.code == "invalid_token"
    # The other session is untouched by logging out of this one.
    assert (await fourth.resume(again.token)).user_id == auth.user_id
    await fourth.close()


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("ab", PASSWORD, "bad_username"),
        ("has space", PASSWORD, "bad_username"),
        ("x" * 33, PASSWORD, "bad_username"),
        ("okname", "short", "weak_password"),
        ("okname", "p" * 1025, "weak_password"),
    ],
)
async def test_registration_checks_names_and_passwords(
    server: RunningServer, username: str, password: str, code: str
) -> None:
    client = await fresh(server)
    with pytest.raises(RequestFailed) as refused:
        await client.register(username, password)
    assert refused.value.code == code
    await client.close()


async def test_duplicate_names_and_wrong_passwords_are_refused(
    server: RunningServer, make_client: ClientFactory
) -> None:
    await make_client("Budi")
    client = await fresh(server)
    with pytest.raises(RequestFailed) as taken:
        await client.register("BUDI", PASSWORD)
    assert taken.value.code == "username_taken"
    with pytest.raises(RequestFailed) as wrong:
        await client.login("budi", "not the password")
    assert wrong.value.code == "bad_credentials"
    with pytest.raises(RequestFailed) as nobody:
        await client.login("nobody-here", PASSWORD)
    assert nobody.value.code == "bad_credentials"  # no hint that the name is free
    assert (await client.login("budi", PASSWORD)).username == "Budi"
    with pytest.raises(RequestFailed) as twice:
        await client.login("budi", PASSWORD)
    assert twice.value.code == "already_authenticated"
    await client.close()


async def test_repeated_login_attempts_are_rate_limited(server: RunningServer) -> None:
    # Per name from one source address (tests/server/hostile has the rest:
    # the owner elsewhere is not locked out, random names do not escape).
    client = await fresh(server)
    codes = []
    for _ in range(8):
        try:
            await client.login("victim", "guess-guess")
        except RequestFailed as exc:
            codes.append(exc.code)
    assert codes[:5] == ["bad_credentials"] * 5
    # A sliding window: at the turn of a minute one more may get through.
    assert codes.count("bad_credentials") <= 6 and codes[-1] == "rate_limited"
    await client.close()


async def test_tokens_expire_and_are_stored_only_hashed(sqlite_url: str) -> None:
    store = await open_store(sqlite_url)
    now = [1000.0]
    accounts = Accounts(store, lambda: now[0], token_ttl=60.0)
    signed = await accounts.register("citra", PASSWORD)
    assert await store.find_session(signed.token) is None  # the raw token is not a key
    assert await store.find_session(token_hash(signed.token)) is not None
    user = await store.find_user("citra")
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    now[0] += 59.0
    assert (await accounts.resume(signed.token)).user_id == signed.user_id
    now[0] += 2.0
    with pytest.raises(Exception, match="expired"):
        await accounts.resume(signed.token)
    await store.close()
