"""Accounts for load tests, written straight into a server's database before
it starts: thousands of listeners need accounts, and registering each one
through the server would spend most of the run in Argon2.

Every account gets the same real Argon2id hash of one password (so logging
in works as usual) and a fresh session token, stored as its SHA-256 exactly
as the server stores them; clients then `resume` with the tokens.
"""

import secrets
import time

from argon2 import PasswordHasher
from sqlalchemy import insert, select

from app.server.accounts import TOKEN_TTL, token_hash
from app.server.store.schema import sessions, users
from app.server.store.sql import open_store

CHUNK = 2000


async def provision(db_url: str, names: list[str], password: str) -> list[tuple[int, str]]:
    """Create `names` with sessions; returns (user_id, token) in the same order."""
    store = await open_store(db_url)
    try:
        hashed = PasswordHasher().hash(password)
        now = time.time()
        tokens = [secrets.token_urlsafe(32) for _ in names]
        async with store.engine.begin() as conn:
            for start in range(0, len(names), CHUNK):
                chunk = names[start : start + CHUNK]
                await conn.execute(
                    insert(users),
                    [
                        {
                            "username": name,
                            "username_key": name.casefold(),
                            "password_hash": hashed,
                            "created_at": now,
                        }
                        for name in chunk
                    ],
                )
            rows = (await conn.execute(select(users.c.id, users.c.username_key))).all()
            ids = {key: user_id for user_id, key in rows}
            for start in range(0, len(names), CHUNK):
                await conn.execute(
                    insert(sessions),
                    [
                        {
                            "token_hash": token_hash(token),
                            "user_id": ids[name.casefold()],
                            "created_at": now,
                            "expires_at": now + TOKEN_TTL,
                        }
                        for name, token in zip(
                            names[start : start + CHUNK],
                            tokens[start : start + CHUNK],
                            strict=True,
                        )
                    ],
                )
        return [(ids[name.casefold()], token) for name, token in zip(names, tokens, strict=True)]
    finally:
        await store.close()
