"""The real desktop app, left in the demo room for the soak's length.

`panggung` runs as a user would start it: a real window on Xvfb with a tray
host, real sound devices through a private PulseAudio, hosting on this
computer with the demo room's bots talking. A listener bot records the room
the whole time. The test samples the app's own figures (`panggung health`)
and at the end checks that the app is alive, still plays the bots' speech
out of its speakers (on the audio), leaked neither memory nor references to
None (PySide6 6.12.0 aborted it after 2.5-4 minutes this way), and logged
no error. Then it quits cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.audio.virtual import PulseUnavailable, VirtualPulse
from app.client.session import RoomClient
from app.dsp.analysis import rms_dbfs
from app.protocol.replies import RoomList
from app.protocol.requests import ListRooms
from app.server.app import ServerConfig, start_server
from app.server.demo import DEMO_TITLE
from app.server.demo_voices import conversation, load_clips
from tests.soak.support import SOAK_SECONDS, Sample, Trend, trouble_in, write_report
from tests.support import pulse as pulse_support
from tests.support.xserver import XUnavailable, xvfb
from tests.voice.helpers import best_match_similarity

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"
SAMPLE_EVERY = 20.0  # s
# Bounds, after the warm-up. The app listening holds ~110-180 MB; a leak of a
# frame's worth of audio per tick is ~100 MB in 10 minutes.
MAX_RSS_GROWTH = 40 * 2**20
# A leaking Qt drops one reference to None per call, thousands a minute.
MAX_NONE_DROP = 2_000
MAX_TASK_GROWTH = 20


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPulse]:
    try:
        daemon = pulse_support.start(tmp_path_factory.mktemp("soak-pulse"))
    except PulseUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    try:
        with xvfb(tray=True) as name:
            yield name
    except XUnavailable as exc:
        pytest.fail(str(exc))


async def make_account(data_dir: Path, username: str) -> str:
    """The app's own account, made in the database its embedded server will open."""
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{data_dir / 'rooms.db'}", host="127.0.0.1", port=0)
    )
    client = RoomClient(server.url, client_name="soak", reconnect=False)
    try:
        await client.connect()
        return (await client.register(username, PASSWORD)).token
    finally:
        await client.close()
        await server.stop()


async def command(config: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "panggung"),
        "--config",
        str(config),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert out, f"no reply from `panggung {' '.join(args)}`: {err.decode()}"
    reply: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return reply


def field(reply: dict[str, object], part: str) -> dict[str, object]:
    value = reply[part]
    assert isinstance(value, dict), reply
    return value


def read_wav(path: Path) -> NDArray[np.int16]:
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)


def demo_reference() -> NDArray[np.int16]:
    loop = np.sum([p.astype(np.int32) for p in conversation(load_clips()).values()], axis=0)
    return np.tile(np.clip(loop, -32768, 32767).astype(np.int16), 2)


def speech_seconds(audio: NDArray[np.int16]) -> int:
    return sum(rms_dbfs(audio[i : i + 48_000]) > -40 for i in range(0, len(audio), 48_000))


@pytest.fixture
async def app_dirs(tmp_path: Path) -> AsyncIterator[tuple[Path, Path]]:
    config = tmp_path / "config"
    (config / "data").mkdir(parents=True)
    yield config, tmp_path


@pytest.mark.timeout(SOAK_SECONDS + 300)
async def test_the_app_keeps_playing_the_demo_room(
    pulse: VirtualPulse, display: str, app_dirs: tuple[Path, Path]
) -> None:
    config, tmp = app_dirs
    token = await make_account(config / "data", "soak")
    (config / "settings.json").write_text(
        json.dumps({"username": "soak", "server_mode": "embedded"})
    )
    (tmp / "keyring.json").write_text(json.dumps({"panggung/local|soak": token}))
    env = {
        **os.environ,
        **pulse.env(),
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.ui.file_keyring.FileKeyring",
        "PANGGUNG_TEST_KEYRING": str(tmp / "keyring.json"),
    }
    env.pop("WAYLAND_DISPLAY", None)
    log_path = tmp / "app.log"
    bot_log = tmp / "bot.log"
    recording = tmp / "room.wav"
    samples: list[Sample] = []
    with log_path.open("wb") as app_log, bot_log.open("wb") as bot_out:
        app = await asyncio.create_subprocess_exec(
            str(BIN / "panggung"),
            "--config",
            str(config),
            "--verbose",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=app_log,
        )
        bot: asyncio.subprocess.Process | None = None
        try:
            assert app.stdout is not None
            line = await asyncio.wait_for(app.stdout.readline(), 90)
            assert line, "the app exited at start:\n" + log_path.read_text()[-5000:]
            ready = json.loads(line)
            url = str(ready["server"])

            for _ in range(150):
                if field(await command(config, env, "status"), "status")["phase"] == "directory":
                    break
                await asyncio.sleep(0.2)
            ear = RoomClient(url, client_name="soak", reconnect=False)
            await ear.connect()
            await ear.register("soak-ear", PASSWORD)
            rooms = (await ear.conn.call_for(ListRooms(), RoomList)).rooms
            await ear.close()
            demo = next(r.room_id for r in rooms if r.title == DEMO_TITLE)
            joined = await command(config, env, "join", demo)
            assert joined["ok"] is True, joined
            assert field(joined, "status")["role"] == "listener"

            # The listener bot records the room for the whole soak.
            bot = await asyncio.create_subprocess_exec(
                str(BIN / "panggung-bot"),
                "--server",
                url,
                "--user",
                "soak-bot",
                "--register",
                "--join",
                demo,
                "--listen",
                str(SOAK_SECONDS),
                "--record",
                str(recording),
                env={**env, "PANGGUNG_PASSWORD": PASSWORD},
                stdout=bot_out,
                stderr=bot_out,
            )

            start = time.monotonic()
            while (at := time.monotonic() - start) < SOAK_SECONDS:
                assert app.returncode is None, "the app died:\n" + log_path.read_text()[-5000:]
                health = field(await command(config, env, "health"), "health")
                samples.append(
                    Sample(
                        at,
                        int(str(health["rss_bytes"])),
                        int(str(health["open_files"])),
                        int(str(health["threads"])),
                        float(str(health["cpu_s"])),
                        {
                            "none_refcount": float(str(health["none_refcount"])),
                            "tasks": float(str(health["tasks"])),
                        },
                    )
                )
                if len(samples) % 6 == 0:
                    await command(config, env, "show")  # the window raised now and then
                await asyncio.sleep(min(SAMPLE_EVERY, max(0.0, SOAK_SECONDS - at)))

            # Still playing the room out of its speakers: the bots' speech.
            env_for_parec = pulse_support.environ(pulse)
            parec = pulse_support.Parec(tmp / "speakers.raw", sink="spk")
            try:
                await parec.ready()
                await asyncio.sleep(15)
            finally:
                heard = parec.stop()
                pulse_support.restore(env_for_parec)
            status = field(await command(config, env, "status"), "status")
            assert status["phase"] == "in_room", status

            quit_reply = await command(config, env, "quit")
            assert quit_reply["ok"] is True
            assert await asyncio.wait_for(app.wait(), 60) == 0, log_path.read_text()[-5000:]
            assert await asyncio.wait_for(bot.wait(), 120) == 0, bot_log.read_text()[-3000:]
        finally:
            for proc in (app, bot):
                if proc is not None and proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    trend = Trend(samples)
    reference = demo_reference()
    played = best_match_similarity(heard, reference)
    room = read_wav(recording)
    last_minute = room[-60 * 48_000 :]
    report = "\n".join(
        [
            trend.report(f"panggung (the desktop app) in the demo room, {SOAK_SECONDS:.0f} s"),
            f"  speakers, last 15 s: {speech_seconds(heard)} s of speech, "
            f"similarity to the demo speech {played:.2f}",
            f"  listener bot: {len(room) / 48_000:.0f} s recorded, "
            f"{speech_seconds(last_minute)} s of speech in the last minute",
        ]
    )
    write_report("app", report)
    assert trouble_in(log_path) == [], log_path.read_text()[-5000:]
    assert trend.growth("rss") < MAX_RSS_GROWTH, report
    first_refs = samples[0].extra["none_refcount"]
    assert trend.minimum("none_refcount") > first_refs - MAX_NONE_DROP, report
    assert trend.growth("tasks") <= MAX_TASK_GROWTH, report
    assert trend.growth("open_files") <= 20, report
    assert speech_seconds(heard) >= 3 and played > 0.7, report
    assert len(room) >= (SOAK_SECONDS - 30) * 48_000 and speech_seconds(last_minute) >= 10, report
