"""The broadcast benchmark's ears: how far the HLS tier is behind live, and how
long a broadcast listener invited to the stage takes to hear the live room.

Both are measured on the audio itself. The speaker's tone changes pitch at a
known instant (the marker); each ear pulls 20 ms frames on its own clock, as
a sound card would, and the marker is found where the new pitch first
dominates a short window. The HLS ear is the app's own player (`HlsPlayer`,
FFmpeg's HLS demuxer, with its start-up buffer) through nginx; beside it the
same player straight at the origin (the cache's share of the delay) and a
live WebRTC listener on an edge. The stage switch drives the desktop app's
session (`DesktopSession` with a pulling audio device): it is sent to the
broadcast by the origin's live capacity of 0, plays it, is invited to the
stage, accepts at once (the app waits for the live link before it goes up),
and the time is taken until it hears the new pitch from the live link.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import keyring
import numpy as np
from keyring.backends import null

from app.client.app_settings import Settings
from app.client.audio_backend import Frame, PullAudio
from app.client.desktop_session import DesktopSession
from app.client.room_audio import Tier
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.dsp import FRAME_SECONDS
from app.dsp.analysis import rms_dbfs, tone_power_ratio
from app.media.client.hls import HlsPlayer
from app.protocol.requests import AcceptInvite, InviteToStage

LOW, HIGH, SWITCH = 440.0, 880.0, 660.0  # the speaker's pitches: before / after a marker
LOOK = 3  # frames per look (60 ms): the measure's resolution
MARK_GAP = 4.0  # s between markers: longer than the HLS delay, so one is found at a time
# Markers also move by up to a segment at random: the writer's segments end at
# a fixed point of each wall-clock second, so markers a whole number of
# seconds apart would all fall at one point of their segment and measure one
# case of the delay, not its spread.
MARK_SPREAD = 1.0
MARK_TIMEOUT = 10.0  # s: a marker not found by then counts as lost
PROBE_PERIOD = 0.05  # s between the playlist probe's polls
_SEGMENT = re.compile(r"[0-9a-f]{8}-[0-9]{6}\.m4s")


def dominant(frames: list[Frame], freq: float) -> bool:
    audio = np.concatenate(frames)
    return rms_dbfs(audio) > -40 and tone_power_ratio(audio, freq) > 0.5


class Ear:
    """Pulls `source` every 20 ms and keeps (time, frame, tag) for a while."""

    def __init__(self, source: Callable[[], Frame], tag: Callable[[], str] = lambda: "") -> None:
        self._source, self._tag = source, tag
        self.frames: list[tuple[float, Frame, str]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._pull())

    async def _pull(self) -> None:
        start, n = time.monotonic(), 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - time.monotonic()))
            self.frames.append((time.monotonic(), self._source(), self._tag()))
            del self.frames[:-1500]  # 30 s

    def found(self, since: float, freq: float, tag: str | None = None) -> float | None:
        """The end time of the first look after `since` that `freq` dominates
        (all its frames tagged `tag`, if given)."""
        after = [f for f in self.frames if f[0] > since]
        for i in range(len(after) - LOOK + 1):
            look = after[i : i + LOOK]
            if tag is not None and any(t != tag for _, _, t in look):
                continue
            if dominant([frame for _, frame, _ in look], freq):
                return look[-1][0]
        return None

    async def wait_for(
        self, since: float, freq: float, tag: str | None = None, timeout: float = MARK_TIMEOUT
    ) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.found(since, freq, tag)
            if at is not None:
                return at - since
            await asyncio.sleep(0.1)
        return None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class Delays:
    """Seconds from each marker at the speaker to each ear (measured)."""

    hls: list[float] = field(default_factory=list)  # the player through nginx
    direct: list[float] = field(default_factory=list)  # a player at the origin itself
    live: list[float] = field(default_factory=list)  # a WebRTC listener on an edge
    lost: int = 0  # markers an ear did not find within MARK_TIMEOUT
    underruns: int = 0  # the players' queues ran dry while playing
    # Audio each player held at the end (through nginx, straight): a player
    # plays from its queue's head, so what it holds is delay it keeps.
    buffered: list[float] = field(default_factory=list)
    # Per segment: how much later the playlist through nginx first listed it
    # than the origin's own (both polled every PROBE_PERIOD).
    listed_later: list[float] = field(default_factory=list)


async def hls_delay(
    set_pitch: Callable[[float], None],
    cached_url: str,
    direct_url: str,
    live: Callable[[], Frame],
    markers: int,
) -> Delays:
    """`markers` pitch changes at the speaker; where each ear first has them."""
    result = Delays()
    rng = random.Random(markers)  # the same spread each run
    players = [HlsPlayer(cached_url), HlsPlayer(direct_url)]
    for player in players:
        player.start()
    ears = [Ear(players[0].next_frame), Ear(players[1].next_frame), Ear(live)]
    probe = asyncio.get_running_loop().create_task(
        _listed_later(cached_url, direct_url, result.listed_later)
    )
    try:
        for player in players:
            if not await asyncio.to_thread(player.opened.wait, 20.0):
                raise RuntimeError(f"the HLS player did not open {player.url}: {player.error}")
        for ear in ears:
            ear.start()
        pitch = LOW
        set_pitch(pitch)
        await asyncio.sleep(MARK_GAP)  # the players' buffers prime and play
        for _ in range(markers):
            pitch = HIGH if pitch == LOW else LOW
            mark = time.monotonic()
            set_pitch(pitch)
            heard = await asyncio.gather(*(ear.wait_for(mark, pitch) for ear in ears))
            for delay, into in zip(heard, (result.hls, result.direct, result.live), strict=True):
                if delay is None:
                    result.lost += 1
                else:
                    into.append(delay)
            gap = MARK_GAP + rng.uniform(0.0, MARK_SPREAD)
            await asyncio.sleep(max(0.0, mark + gap - time.monotonic()))
        result.underruns = sum(player.queue.underruns for player in players)
        result.buffered = [player.queue.buffered_seconds for player in players]
    finally:
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe
        for ear in ears:
            await ear.stop()
        for player in players:
            await asyncio.to_thread(player.close)
    return result


async def _listed_later(cached_url: str, direct_url: str, into: list[float]) -> None:
    """Both playlists polled together; each segment's lag through the cache."""
    first: dict[str, dict[str, float]] = {cached_url: {}, direct_url: {}}
    async with aiohttp.ClientSession() as http:
        while True:
            for url, seen in first.items():
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url) as response:
                        text = await response.text()
                    now = time.monotonic()
                    for name in _SEGMENT.findall(text):
                        seen.setdefault(name, now)
            cached, direct = first[cached_url], first[direct_url]
            # Only segments that first appeared while both were watched.
            start = min(direct.values(), default=0.0) + 1.5
            into[:] = [
                cached[n] - direct[n] for n in sorted(cached) if n in direct and direct[n] > start
            ]
            await asyncio.sleep(PROBE_PERIOD)


class PulledDevice(PullAudio):
    """A sound device for the desktop session that keeps what it played and
    which tier it came from."""

    def __init__(self) -> None:
        super().__init__()
        self.session: DesktopSession | None = None
        self.ear: Ear | None = None

    async def start(self, playback: Callable[[], Frame]) -> None:
        def tier() -> str:
            s = self.session
            return s.room_audio.tier.value if s is not None and s.room_audio else ""

        self.ear = Ear(playback, tier)
        self.ear.start()

    async def stop(self) -> None:
        if self.ear is not None:
            await self.ear.stop()


@dataclass
class Switch:
    """One broadcast listener's way to the stage; seconds from the invite (measured)."""

    invited_seen: float  # the session saw itself invited
    live_link: float  # its audio tier became live (the WebRTC link connected)
    heard_live: float  # it played the pitch the speaker took at the invite, from the live link
    on_stage: float  # accepted at once; the server put it on the stage
    broadcast_heard: bool  # before the invite it played the broadcast's audio


async def stage_switch(
    url: str,
    host: RoomClient,
    room_id: str,
    name: str,
    password: str,
    set_pitch: Callable[[float], None],
) -> Switch:
    """One desktop session: to the broadcast, invited, live, on stage."""
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]  # token in memory
    device = PulledDevice()
    session = DesktopSession(url, TokenStore(), device, Settings())
    device.session = session
    marks: dict[str, float] = {}
    try:
        if not await session.sign_in(name, password, register=True):
            raise RuntimeError(f"{name} could not register")
        if not await session.join(room_id):
            raise RuntimeError(f"{name} could not join the room")
        await _until(lambda: session.broadcast and device.ear is not None, 30, "the broadcast")
        set_pitch(LOW)
        assert device.ear is not None
        ear = device.ear
        heard = await ear.wait_for(time.monotonic(), LOW, Tier.BROADCAST.value, timeout=20)

        def seen(_change: object, _notice: object) -> None:
            me = session.me()
            now = time.monotonic()
            if me is not None and me.invited:
                marks.setdefault("invited", now)
            audio = session.room_audio
            if audio is not None and audio.tier is Tier.LIVE:
                marks.setdefault("live", now)

        session.listeners.append(seen)
        user_id = session.user_id
        assert user_id is not None
        invited = time.monotonic()
        set_pitch(SWITCH)
        await host.request(InviteToStage(user_id=user_id))
        await _until(lambda: "invited" in marks, 10, "the invite")
        if not await session.act(AcceptInvite()):  # waits for the live link, as the app does
            raise RuntimeError("the invite could not be accepted")
        await _until(lambda: session.on_stage, 10, "on stage")
        on_stage = time.monotonic() - invited
        heard_live = await ear.wait_for(invited, SWITCH, Tier.LIVE.value)
        if heard_live is None:
            raise RuntimeError("the live room was not heard after going live")
        return Switch(
            invited_seen=marks["invited"] - invited,
            live_link=marks.get("live", float("nan")) - invited,
            heard_live=heard_live,
            on_stage=on_stage,
            broadcast_heard=heard is not None,
        )
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.close(), 10)


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come within {timeout} s")
        await asyncio.sleep(0.05)
