"""The demo room `make run` opens: always live, hosted by a server-side member."""

import contextlib
import os
import secrets
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.protocol.requests import CreateRoom
from app.server.accounts import AccountError, Accounts
from app.server.demo_host import start_demo_host
from app.server.demo_voices import start_demo_voices
from app.server.hub import RoomHub
from app.server.rooms import Actor
from app.server.store.api import Store

DEMO_USER = "panggung-demo"
DEMO_TITLE = "Panggung demo room"
DEMO_TOPIC = "Say hello: raise your hand and the host brings you up in a moment."

if TYPE_CHECKING:
    from app.server.app import RunningServer


async def open_demo(server: "RunningServer") -> str:
    """The demo room with its host at work (demo_host.py), stopped with the server."""
    room_id = await ensure_demo_room(server.store, server.accounts, server.hub)
    host = await server.store.find_user(DEMO_USER)
    assert host is not None, "ensure_demo_room made it"
    bots = await _bot_ids(server.store)
    task = start_demo_host(server.hub, Actor(host.user_id, host.username), room_id, bots)
    server.adopt(task)
    return room_id


async def _bot_ids(store: Store) -> list[int]:
    from app.server.demo_voices import BOTS

    found = [await store.find_user(name) for name in BOTS.values()]
    return [user.user_id for user in found if user is not None]


async def ensure_demo_room(store: Store, accounts: Accounts, hub: RoomHub) -> str:
    """Return the id of the live demo room, creating its host and the room if needed."""
    user = await store.find_user(DEMO_USER)
    if user is None:
        # Nobody logs in as the demo host; its password is never shown. A
        # concurrent registration is fine: it is looked up below.
        with contextlib.suppress(AccountError):
            await accounts.register(DEMO_USER, secrets.token_urlsafe(24))
        user = await store.find_user(DEMO_USER)
    assert user is not None, "the demo user was just created"
    host = Actor(user.user_id, user.username)
    room_id = hub.live_room_hosted_by(host.user_id)
    if room_id is not None:
        # Restored after a restart: the server-side host is present again.
        await hub.join(None, host, room_id, None)
    else:
        created = await hub.create(None, host, CreateRoom(title=DEMO_TITLE, topic=DEMO_TOPIC))
        room_id = created.room_id
    # Bot speakers take turns on stage, so a newcomer hears voices at once.
    await start_demo_voices(store, accounts, hub, host, room_id)
    return room_id


def join_hint(url: str, room_id: str, cwd: Path | None = None) -> str:
    """A command that joins the demo room as printed: the bot found where this
    server was installed (a checkout's .venv is not on PATH), a fresh guest
    name and password (--register signs in again if it exists), and a hand up,
    which the demo host approves."""
    bot = _bot_command(cwd or Path.cwd())
    guest = f"guest-{secrets.token_hex(2)}"
    password = secrets.token_urlsafe(9)
    args = [bot, "--server", url, "--user", guest, "--register", "--join", room_id]
    return f"PANGGUNG_PASSWORD={shlex.quote(password)} {shlex.join(args)} --raise-hand --stay 20"


def _bot_command(cwd: Path) -> str:
    beside = Path(sys.argv[0]).with_name("panggung-bot")
    if not beside.is_file():
        beside = Path(sys.executable).with_name("panggung-bot")
    if beside.is_file() and os.access(beside, os.X_OK):
        if shutil.which("panggung-bot") == str(beside):
            return "panggung-bot"
        absolute = beside.absolute()
        try:
            return str(Path(".") / absolute.relative_to(cwd.absolute()))
        except ValueError:
            return str(absolute)
    return "panggung-bot"
