"""Logins as a weapon: guessing, lockouts, random names, hashing floods, and
sessions that outlive their logout."""

import asyncio
import contextlib
import time

import aiohttp
import pytest

from app.server.app import RunningServer
from app.server.http.ratelimit import RateLimitConfig

from .conftest import PASSWORD, Peer, Peers, StartServer

STRANGER, OWNER_HOME = "127.0.0.2", "127.0.0.3"


async def attempts(peer: Peer, name: str, count: int, password: str = "wrong-guess") -> list[str]:
    codes = []
    for _ in range(count):
        reply = await peer.call("login", username=name, password=password)
        codes.append(reply.get("code", "ok"))
    return codes


async def test_a_stranger_cannot_lock_the_owner_out(peers: Peers) -> None:
    owner = await peers.user("owner", source=OWNER_HOME)
    await owner.ws.close()
    stranger = await peers.greeted(STRANGER)
    codes = await attempts(stranger, "owner", 12)
    # The stranger backs off after 5 failures on that name...
    assert codes[:5] == ["bad_credentials"] * 5
    # (a sliding window may let one more through at the turn of a minute)
    assert codes.count("bad_credentials") <= 6 and codes[-1] == "rate_limited", codes
    # ...and the owner, elsewhere, signs in at once.
    again = await peers.greeted(OWNER_HOME)
    assert await attempts(again, "owner", 1, PASSWORD) == ["ok"]


async def test_the_right_password_ends_the_back_off(peers: Peers) -> None:
    await (await peers.user("forgetful")).ws.close()
    peer = await peers.greeted()
    assert await attempts(peer, "forgetful", 4) == ["bad_credentials"] * 4
    assert await attempts(peer, "forgetful", 1, PASSWORD) == ["ok"]
    await peer.call("logout")
    assert await attempts(peer, "forgetful", 4) == ["bad_credentials"] * 4


async def test_random_names_do_not_escape_the_limit_per_source(
    start: StartServer, sqlite_url: str
) -> None:
    limits = RateLimitConfig(failures_per_source="12/minute")
    server = await start(sqlite_url, rate_limits=limits)
    async with contextlib.AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        guesser = await peers.greeted(STRANGER)
        codes = [
            (await guesser.call("login", username=f"name{n}", password="guess-guess"))["code"]
            for n in range(16)
        ]
        assert codes[:12] == ["bad_credentials"] * 12
        assert codes.count("bad_credentials") <= 13 and codes[-1] == "rate_limited", codes
        # Other sources are not affected.
        other = await peers.greeted(OWNER_HOME)
        assert (await other.call("login", username="name1", password="x" * 9))[
            "code"
        ] == "bad_credentials"
        # A refused attempt costs no password hash: it comes back at once.
        start_at = time.monotonic()
        assert (await guesser.call("login", username="nameX", password="guess-guess"))[
            "code"
        ] == "rate_limited"
        assert time.monotonic() - start_at < 0.2


async def test_a_name_that_cannot_exist_costs_no_hash_and_no_query(peers: Peers) -> None:
    peer = await peers.greeted()
    for name in ("nul\u0000name", "a b", "x" * 40, "\u202eevil"):
        reply = await peer.call("login", username=name, password="whatever1")
        assert reply["code"] == "bad_credentials", (name, reply)


async def test_hashing_is_bounded_and_the_rest_is_refused_at_once(
    start: StartServer, sqlite_url: str
) -> None:
    limits = RateLimitConfig(hash_concurrency=1, hash_queue=2)
    server = await start(sqlite_url, rate_limits=limits)
    async with contextlib.AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        crowd = [await peers.greeted(f"127.0.1.{n}") for n in range(12)]
        replies = await asyncio.gather(
            *(p.call("login", username="nobody", password="guess-guess") for p in crowd)
        )
        codes = [r["code"] for r in replies]
        # One hashing and two waiting at most: the others are told to come back.
        assert codes.count("bad_credentials") <= 6
        assert codes.count("rate_limited") >= 6
        busy = next(r for r in replies if r["code"] == "rate_limited")
        assert "busy" in busy["message"]
        # Once the crowd is through, a real user signs in normally.
        newcomer = await peers.greeted("127.0.2.1")
        assert (await newcomer.call("register", username="realuser", password=PASSWORD))[
            "type"
        ] == "ok"


async def test_logout_ends_every_connection_on_that_token(
    server: RunningServer, peers: Peers
) -> None:
    first = await peers.user("twodevices")
    second = await peers.greeted()
    assert (await second.call("resume", token=first.token))["type"] == "ok"
    other_login = await peers.greeted()
    await other_login.ok("login", username="twodevices", password=PASSWORD)
    await first.ok("logout")
    closing = await second.ws.receive(timeout=5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert second.ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
    # Another sign-in of the same account has its own token and stays.
    assert (await other_login.call("list_rooms"))["type"] == "ok"
    # The logged-out connection itself stays open, signed out.
    assert (await first.call("list_rooms"))["code"] == "auth_required"
    later = await peers.greeted()
    assert (await later.call("resume", token=first.token))["code"] == "invalid_token"


@pytest.mark.parametrize("code", ["username_taken"])
async def test_registering_taken_names_counts_as_failures(
    start: StartServer, sqlite_url: str, code: str
) -> None:
    limits = RateLimitConfig(failures_per_source="5/minute")
    server = await start(sqlite_url, rate_limits=limits)
    async with contextlib.AsyncExitStack() as stack:
        peers = Peers(server.url, stack)
        await (await peers.user("taken", source=OWNER_HOME)).ws.close()
        prober = await peers.greeted(STRANGER)
        codes = [
            (await prober.call("register", username="taken", password=PASSWORD))["code"]
            for _ in range(8)
        ]
        assert codes[:5] == [code] * 5, codes
        assert codes.count(code) <= 6 and codes[-1] == "rate_limited", codes
