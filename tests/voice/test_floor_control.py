"""Floor control with real voices through the real server: one stage member
heard at a time, in the order they pressed, and a client that ignores "busy"
is not heard. Checked on the audio a listener receives."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.dsp.analysis import tone_power_ratio
from app.dsp.signals import ToneSource
from app.protocol.model import Role
from app.protocol.requests import ApproveHand, RaiseHand, SetFloorControl
from app.server.app import RunningServer

from .helpers import Member, hears, until_heard

TONES = {"host": 440, "ayu": 660, "budi": 550}


@pytest.fixture
async def room(server: RunningServer) -> AsyncIterator[dict[str, Member]]:
    """The host (440 Hz) and two speakers, ayu (660 Hz) and budi (550 Hz), on
    stage with floor control on; a listener who only listens."""
    members: dict[str, Member] = {}
    try:
        for name, freq in TONES.items():
            members[name] = await Member.sign_in(server.url, name, ToneSource(freq).next_frame)
        members["ear"] = await Member.sign_in(server.url, "ear")
        host = members["host"]
        model = await host.client.create_room("Floor")
        for name in ("ayu", "budi", "ear"):
            await members[name].client.join(model.room_id)
        for name in ("ayu", "budi"):
            await _bring_up(host, members[name])
        await host.client.request(SetFloorControl(enabled=True))
        for m in members.values():
            await m.client.wait_until(lambda model: model.floor.enabled)
            await m.start_audio()
        yield members
    finally:
        for m in members.values():
            await asyncio.wait_for(m.close(), 15)


async def _bring_up(host: Member, speaker: Member) -> None:
    await speaker.client.request(RaiseHand())
    await host.client.request(ApproveHand(user_id=speaker.user_id))
    await speaker.client.wait_until(lambda m: m.role_of(speaker.user_id) == Role.SPEAKER)


async def test_two_press_at_once_only_the_first_is_heard_then_the_second(
    room: dict[str, Member],
) -> None:
    ayu, budi, ear = room["ayu"], room["budi"], room["ear"]
    by_id = {ayu.user_id: "ayu", budi.user_id: "budi"}
    await asyncio.gather(ayu.link.press(), budi.link.press())
    model = await ear.client.wait_until(lambda m: len(m.floor.queue) == 1)
    assert model.floor.holder is not None
    first, second = by_id[model.floor.holder], by_id[model.floor.queue[0]]
    await until_heard(ear, TONES[first])
    audio = await ear.record(1.5)
    assert hears(audio, TONES[first])
    assert tone_power_ratio(audio, TONES[second]) < 0.02  # queued, sending, not heard
    # The waiting one knows it waits.
    waiting = room[second].client.model
    assert waiting is not None and waiting.waiting_for_floor()

    await room[first].link.release()
    await ear.client.wait_until(lambda m: m.floor.holder == room[second].user_id)
    await until_heard(ear, TONES[second])
    audio = await ear.record(1.5)
    assert hears(audio, TONES[second]) and tone_power_ratio(audio, TONES[first]) < 0.02


async def test_a_speaker_who_ignores_busy_and_sends_anyway_is_not_heard(
    room: dict[str, Member],
) -> None:
    ayu, budi, ear = room["ayu"], room["budi"], room["ear"]
    await ayu.link.press()
    await ear.client.wait_until(lambda m: m.floor.holder == ayu.user_id)
    # budi's client presses, is told it waits, and sends its 550 Hz regardless
    # (and keeps re-pressing, as a hostile client might).
    await budi.link.press()
    await ear.client.wait_until(lambda m: m.floor.queue == [budi.user_id])
    assert budi.link.peer is not None
    budi.link.peer.set_sending(True)
    await budi.link.press()
    await until_heard(ear, 660)
    audio = await ear.record(2.0)
    assert hears(audio, 660) and tone_power_ratio(audio, 550) < 0.02
    # Nor does the host hear budi.
    host_hears = await room["host"].record(1.0)
    assert hears(host_hears, 660) and tone_power_ratio(host_hears, 550) < 0.02


async def test_the_host_takes_the_floor_at_once_and_the_speaker_resumes_after(
    room: dict[str, Member],
) -> None:
    host, ayu, ear = room["host"], room["ayu"], room["ear"]
    await ayu.link.press()
    await until_heard(ear, 660)
    await host.link.press()
    await ear.client.wait_until(lambda m: m.floor.holder == host.user_id)
    await until_heard(ear, 440)
    audio = await ear.record(1.0)
    assert hears(audio, 440) and tone_power_ratio(audio, 660) < 0.02
    await host.link.release()
    await ear.client.wait_until(lambda m: m.floor.holder == ayu.user_id)
    await until_heard(ear, 660)
