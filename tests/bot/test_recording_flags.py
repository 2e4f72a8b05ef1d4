"""panggung-bot records a room it hosts, lists its recordings and downloads one."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.server.http.test_cli import BIN, ServerProcess, bot, last_json


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'bot.db'}", "--recordings", str(tmp_path / "rec")
    )
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


def test_bot_records_lists_and_downloads(running: ServerProcess, tmp_path: Path) -> None:
    hosted = last_json(
        bot(
            running.url,
            *("--user", "ayu", "--register", "--create", "On the record"),
            *("--start-recording", "--stay", "1.5", "--stop-recording", "--json"),
        ).stdout
    )
    room = hosted["room"]
    assert isinstance(room, dict) and room["recording"] is False

    listed = last_json(bot(running.url, "--user", "ayu", "--recordings", "--json").stdout)
    recordings = listed["recordings"]
    assert isinstance(recordings, list) and len(recordings) == 1
    (info,) = recordings
    assert info["room_title"] == "On the record" and info["ended_at"] is not None
    assert 1.0 < info["duration"] < 4.0

    # The file went where --recordings told the server.
    (kept,) = (tmp_path / "rec").glob("*.ogg")
    assert kept.stat().st_size == info["bytes"]
    out = tmp_path / "got.ogg"
    result = bot(
        running.url, "--user", "ayu", "--download", str(info["recording_id"]), "--to", str(out)
    )
    assert f"to {out}" in result.stdout
    assert out.stat().st_size == info["bytes"]
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == "opus"
    # Somebody else gets nothing, and says so.
    refused = bot(
        running.url,
        *("--user", "budi", "--register", "--download", str(info["recording_id"])),
        check=False,
    )
    assert refused.returncode == 1 and "HTTP 404" in refused.stderr


def test_bot_help_documents_the_recording_flags() -> None:
    result = subprocess.run(
        [str(BIN / "panggung-bot"), "--help"], capture_output=True, text=True, check=True
    )
    for flag in ("--start-recording", "--stop-recording", "--recordings", "--download", "--to"):
        assert flag in result.stdout


def test_a_listener_bot_may_not_record(running: ServerProcess) -> None:
    hosted = last_json(
        bot(running.url, "--user", "host", "--register", "--create", "Mine", "--json").stdout
    )
    room = hosted["room"]
    assert isinstance(room, dict)
    refused = bot(
        running.url,
        *("--user", "guest", "--register", "--join", str(room["room_id"]), "--start-recording"),
        check=False,
    )
    assert refused.returncode == 1 and "forbidden" in refused.stderr
