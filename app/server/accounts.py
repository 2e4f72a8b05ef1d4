"""Accounts and sessions: Argon2id password hashes and opaque, revocable tokens.

Tokens are random and stored only as their SHA-256, so a leaked database does
not let anyone resume a session; passwords go through Argon2id (argon2-cffi's
defaults), hashed off the event loop because each hash costs a few hundred ms
of CPU. The hashing gate bounds how many run at once (one by default: the
rest of the machine stays for the rooms) and how many may wait; past that a
sign-in is refused with `rate_limited` at once rather than queued without end.
The store gate does the same for sign-ins' queries: a storm of thousands
(a node's listeners coming back) takes a few of the database pool's
connections, never all of them (the rooms' saves and takeovers need the
rest), and what cannot get one soon is told `busy`, to come back.
"""

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.protocol.errors import ErrorCode
from app.protocol.requests import MAX_PASSWORD, MIN_PASSWORD
from app.server.store.api import Store, StoreError, UsernameTaken

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
TOKEN_TTL = 30 * 24 * 3600.0
T = TypeVar("T")
R = TypeVar("R")


class AccountError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: int
    username: str
    token: str
    expires_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class HashGate:
    """At most `concurrency` password hashes at once, and `queue` more waiting."""

    def __init__(self, concurrency: int = 1, queue: int = 16) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._limit = max(1, concurrency) + max(0, queue)
        self.pending = 0

    async def run(self, work: Callable[..., R], *args: str) -> R:
        if self.pending >= self._limit:
            raise AccountError(
                ErrorCode.RATE_LIMITED,
                "the server is busy signing people in; try again in a few seconds",
            )
        self.pending += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(work, *args)
        finally:
            self.pending -= 1


class StoreGate:
    """At most `concurrency` sign-in queries in the store at once, and `queue`
    more waiting, each at most `wait` seconds; past either, `busy`."""

    def __init__(self, concurrency: int = 4, queue: int = 512, wait: float = 2.0) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._limit = max(1, concurrency) + max(0, queue)
        self._wait = wait
        self.pending = 0
        self.refused = 0  # sign-ins told `busy`, for tests and metrics

    async def run(self, query: Coroutine[Any, Any, T]) -> T:
        if self.pending >= self._limit:
            query.close()
            raise self._busy()
        self.pending += 1
        try:
            try:
                await asyncio.wait_for(self._slots.acquire(), self._wait)
            except TimeoutError:
                query.close()
                raise self._busy() from None
            try:
                return await query
            finally:
                self._slots.release()
        finally:
            self.pending -= 1

    def _busy(self) -> AccountError:
        self.refused += 1
        return AccountError(
            ErrorCode.BUSY, "the server is signing many people in; try again in a second"
        )


class Accounts:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], float],
        hasher: PasswordHasher | None = None,
        token_ttl: float = TOKEN_TTL,
        gate: HashGate | None = None,
        store_gate: StoreGate | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._token_ttl = token_ttl
        self._gate = gate or HashGate()
        self._store_gate = store_gate or StoreGate()
        # Verified against when a username is unknown, so that a miss costs
        # as long as a wrong password and does not reveal which names exist.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    async def register(self, username: str, password: str) -> SignedIn:
        if not USERNAME_RE.fullmatch(username):
            raise AccountError(
                ErrorCode.BAD_USERNAME,
                "a username is 3 to 32 letters, digits, '.', '_' or '-'",
            )
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AccountError(
                ErrorCode.WEAK_PASSWORD,
                f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            )
        hashed = await self._gate.run(self._hasher.hash, password)
        try:
            user_id = await self._store_gate.run(
                self._store.create_user(username, hashed, self._clock())
            )
        except UsernameTaken:
            raise AccountError(ErrorCode.USERNAME_TAKEN, "that username is taken") from None
        except StoreError as exc:
            raise AccountError(ErrorCode.UNAVAILABLE, f"storage failed: {exc}") from None
        return await self._new_session(user_id, username)

    async def login(self, username: str, password: str) -> SignedIn:
        refused = AccountError(ErrorCode.BAD_CREDENTIALS, "wrong username or password")
        # A name registration would refuse cannot exist: no hash, no query
        # (whose text PostgreSQL might not even accept, e.g. with a NUL).
        if len(password) > MAX_PASSWORD or not USERNAME_RE.fullmatch(username):
            raise refused
        user = await self._call(self._store.find_user(username))
        stored = user.password_hash if user else self._dummy_hash
        try:
            await self._gate.run(self._hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise refused from None
        if user is None:
            raise refused
        if self._hasher.check_needs_rehash(stored):
            rehashed = await self._gate.run(self._hasher.hash, password)
            await self._call(self._store.set_password_hash(user.user_id, rehashed))
        return await self._new_session(user.user_id, user.username)

    async def resume(self, token: str) -> SignedIn:
        record = await self._call(self._store.find_session(token_hash(token)))
        if record is None or record.revoked or record.expires_at <= self._clock():
            raise AccountError(ErrorCode.INVALID_TOKEN, "the session expired or was logged out")
        return SignedIn(record.user_id, record.username, token, record.expires_at)

    async def logout(self, token: str) -> None:
        # Not gated: a storm of sign-ins must not make a logout fail.
        try:
            await self._store.revoke_session(token_hash(token), self._clock())
        except StoreError as exc:
            raise AccountError(ErrorCode.UNAVAILABLE, f"storage failed: {exc}") from None

    async def _new_session(self, user_id: int, username: str) -> SignedIn:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + self._token_ttl
        await self._call(self._store.create_session(user_id, token_hash(token), now, expires_at))
        return SignedIn(user_id, username, token, expires_at)

    async def _call(self, query: Coroutine[Any, Any, T]) -> T:
        try:
            return await self._store_gate.run(query)
        except StoreError as exc:
            raise AccountError(ErrorCode.UNAVAILABLE, f"storage failed: {exc}") from None
