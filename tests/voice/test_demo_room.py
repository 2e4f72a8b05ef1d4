"""The demo room (issue 4): a newcomer hears the bot speakers within seconds."""

import asyncio
import contextlib
import time
from pathlib import Path

import numpy as np

from app.dsp.analysis import rms_dbfs
from app.protocol.model import Role
from app.protocol.requests import MuteAll
from app.server.app import RunningServer, ServerConfig, start_server
from app.server.demo import ensure_demo_room
from app.server.demo_voices import conversation, load_clips
from app.server.rooms import Actor
from tests.voice.helpers import Member, windowed_similarity

BUDGET = 10.0  # seconds from joining to hearing a bot


async def test_newcomer_hears_the_bots_take_turns(server: RunningServer) -> None:
    room_id = await ensure_demo_room(server.store, server.accounts, server.hub)
    clips = load_clips()
    assert len(clips) >= 3, "resources/demo/ ships the speech"
    # What the room sounds like: the bots' parts together, twice, so that a
    # recording across the loop's end still lines up.
    loop = np.sum([part.astype(np.int32) for part in conversation(clips).values()], axis=0)
    reference = np.tile(np.clip(loop, -32768, 32767).astype(np.int16), 2)

    listener = await Member.sign_in(server.url, "newcomer")
    try:
        start = time.monotonic()
        model = await listener.client.join(room_id)
        bots = {
            m.user_id
            for m in model.members.values()
            if m.name.endswith("-bot") and m.role is Role.SPEAKER
        }
        assert len(bots) >= 2, f"bot speakers on stage: {model.members}"

        named: set[int] = set()
        bot_named = asyncio.Event()

        async def watch_speaking() -> None:
            while True:
                named.update(set(listener.client.speaking) & bots)
                if named:
                    bot_named.set()
                await asyncio.sleep(0.02)

        watcher = asyncio.get_running_loop().create_task(watch_speaking())
        try:
            await listener.start_audio()
            loud = None
            while loud is None and time.monotonic() - start < BUDGET:
                second = await listener.record(1.0)
                if rms_dbfs(second) > -40:
                    loud = second
            assert loud is not None, f"no speech within {BUDGET} s of joining"
            heard = np.concatenate([loud, await listener.record(2.0)])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bot_named.wait(), 3.0)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        assert named, "`speaking` never named a bot"
        # The 3 s heard are the clips as the bots speak them.
        similarity = windowed_similarity(heard, reference)
        assert similarity > 0.5, f"heard is not the demo speech ({similarity:.2f})"
    finally:
        await listener.close()


async def test_the_bots_are_back_on_stage_after_a_restart(tmp_path: Path) -> None:
    config = ServerConfig(db_url=f"sqlite:///{tmp_path / 'demo.db'}", port=0, media=False)
    rooms = []
    for _ in range(2):
        running = await start_server(config)
        try:
            rooms.append(await ensure_demo_room(running.store, running.accounts, running.hub))
            listener = await Member.sign_in(running.url, f"visitor{len(rooms)}")
            try:
                model = await listener.client.join(rooms[-1])
            finally:
                await listener.close()
        finally:
            await running.stop()
        on_stage = [
            m for m in model.members.values() if m.role is not Role.LISTENER and m.connected
        ]
        assert {m.name for m in on_stage} == {"panggung-demo", "ayu-bot", "budi-bot"}
    assert rooms[0] == rooms[1]


async def test_muted_bots_fall_silent_like_anyone(server: RunningServer) -> None:
    room_id = await ensure_demo_room(server.store, server.accounts, server.hub)
    listener = await Member.sign_in(server.url, "critic")
    try:
        await listener.client.join(room_id)
        await listener.start_audio()
        # The demo room talks: something above -40 dBFS within 10 s.
        deadline = time.monotonic() + 10
        while rms_dbfs(await listener.record(1.0)) < -40:
            assert time.monotonic() < deadline, "the demo room never spoke"
        # The room's host (server-side) mutes everyone on stage below them.
        user = await server.store.find_user("panggung-demo")
        assert user is not None
        host = Actor(user.user_id, user.username)
        await server.hub.command(_HostSeat(host.user_id, room_id), host, MuteAll())
        await listener.record(0.5)  # what was already in flight
        for _ in range(3):  # across turns: neither bot is heard
            assert rms_dbfs(await listener.record(1.5)) < -50
    finally:
        await listener.close()


class _HostSeat:
    """The server-side host, as the hub sees a connection."""

    def __init__(self, user_id: int, room_id: str) -> None:
        self.user_id = user_id
        self.room_id: str | None = room_id

    def deliver(self, frame: bytes) -> None:
        pass
