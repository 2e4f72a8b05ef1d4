"""panggung-bot ends a recorded room as a public replay; another user lists
it, fetches it whole and a byte range of it; the host deletes it."""

from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.server.http.test_cli import ServerProcess, bot, last_json


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'bot.db'}", "--recordings", str(tmp_path / "rec")
    )
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


def test_bot_ends_a_room_as_a_public_replay_and_others_fetch_it(
    running: ServerProcess, tmp_path: Path
) -> None:
    ended = bot(
        running.url,
        *("--user", "ayu", "--register", "--create", "Replay me"),
        *("--start-recording", "--stay", "1.5", "--end-room", "public"),
    )
    assert "ended the room (its recording: public)" in ended.stdout
    listed = last_json(
        bot(running.url, "--user", "budi", "--register", "--replays", "--json").stdout
    )
    replays = listed["replays"]
    assert isinstance(replays, list) and len(replays) == 1
    (info,) = replays
    assert info["room_title"] == "Replay me" and info["visibility"] == "public"
    assert info["manage"] is False
    replay_id = str(info["recording_id"])
    (kept,) = (tmp_path / "rec").glob("*.ogg")

    whole, part = tmp_path / "whole.ogg", tmp_path / "part.bin"
    bot(running.url, "--user", "budi", "--fetch-replay", replay_id, "--replay-to", str(whole))
    assert whole.read_bytes() == kept.read_bytes()
    with av.open(str(whole)) as container:
        assert container.streams.audio[0].codec_context.name == "opus"
    fetched = bot(
        running.url,
        *("--user", "budi", "--fetch-replay", replay_id, "--replay-to", str(part)),
        *("--replay-range", "100-"),
    )
    assert "fetched replay" in fetched.stdout
    assert part.read_bytes() == kept.read_bytes()[100:]

    # Only the host deletes it; then it is gone for everyone, file included.
    refused = bot(running.url, "--user", "budi", "--set-replay", replay_id, "deleted", check=False)
    assert refused.returncode == 1 and "forbidden" in refused.stderr
    bot(running.url, "--user", "ayu", "--set-replay", replay_id, "deleted")
    assert not kept.exists()
    after = last_json(bot(running.url, "--user", "budi", "--replays", "--json").stdout)
    assert after["replays"] == []
