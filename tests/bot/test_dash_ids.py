"""Room ids and invite codes that start with '-': new ones never do, and the
bot accepts old ones after `--join` anyway (argparse would read an option)."""

import asyncio
import secrets
from pathlib import Path

import pytest

from app.bot.main import parse_args
from app.protocol.model import Role
from app.server.hub import new_room_id
from app.server.rooms.durable import DurableMember, DurableRoom
from app.server.store import open_store
from tests.server.http.test_cli import ServerProcess, bot, last_json

BASE = ["--server", "ws://127.0.0.1:1/ws", "--user", "u", "--password", "secret-pw"]


def test_new_room_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["-first", "--again", "fine_id"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: next(drawn))
    assert new_room_id() == "fine_id"


@pytest.mark.parametrize(
    ("argv", "room", "invite"),
    [
        (["--join", "-xY3k_9aB"], "-xY3k_9aB", None),
        (["--join", "--weird1"], "--weird1", None),
        (["--join=-xY3k_9aB"], "-xY3k_9aB", None),
        (["--join", "-abc", "--invite", "-code-"], "-abc", "-code-"),
        (["--join", "plain", "--invite", "-code"], "plain", "-code"),
    ],
)
def test_ids_starting_with_a_dash_are_values(
    argv: list[str], room: str, invite: str | None
) -> None:
    args = parse_args([*BASE, *argv])
    assert (args.join, args.invite) == (room, invite)


def test_an_option_after_join_is_still_an_option() -> None:
    with pytest.raises(SystemExit):  # "--join: expected one argument"
        parse_args([*BASE, "--join", "--list"])


def test_the_bot_joins_a_room_whose_id_starts_with_a_dash(tmp_path: Path) -> None:
    # A room an older server created, with such an id, restored after a restart.
    db = f"sqlite:///{tmp_path / 'dash.db'}"

    async def seed() -> None:
        store = await open_store(db)
        host = DurableMember(1, "elder", Role.HOST, 1.0, 1.0, mod_muted=False)
        await store.create_user("elder", "not-a-real-hash", 1.0)
        await store.save_room(
            DurableRoom(
                room_id="-Old_id1",
                title="From before",
                topic="",
                invite_only=False,
                stage_capacity=5,
                locked=False,
                hands_enabled=True,
                pinned_link=None,
                status="live",
                host_id=1,
                created_at=1.0,
                ended_at=None,
                members=(host,),
                bans=frozenset(),
                invites=frozenset(),
            )
        )
        await store.close()

    asyncio.run(seed())
    server = ServerProcess(db, "--grace", "600")
    try:
        joined = last_json(
            bot(
                server.url, "--user", "newcomer", "--register", "--join", "-Old_id1", "--json"
            ).stdout
        )
        room = joined["room"]
        assert isinstance(room, dict) and room["room_id"] == "-Old_id1"
    finally:
        server.stop()
