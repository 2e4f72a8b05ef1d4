"""Per-speaker volume through the real server: a listener who sets one speaker's
volume hears exactly that in their own audio, and everyone else still hears the
shared mix (issue 18 point 12)."""

import math
import time
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.connection import RequestFailed
from app.dsp.analysis import tone_power_ratio
from app.dsp.signals import ToneSource
from app.protocol.model import Role
from app.protocol.requests import ApproveHand, RaiseHand, SetSpeakerVolumes
from app.server.app import RunningServer

from .helpers import Member, hears, until_heard

HOST_HZ, GUEST_HZ = 440, 660


@pytest.fixture
async def room(server: RunningServer) -> AsyncIterator[dict[str, Member]]:
    """host (440 Hz) and guest (660 Hz) on stage and talking; two listeners."""
    host = await Member.sign_in(server.url, "host", ToneSource(HOST_HZ).next_frame)
    guest = await Member.sign_in(server.url, "guest", ToneSource(GUEST_HZ).next_frame)
    ears = [await Member.sign_in(server.url, name) for name in ("listener", "other")]
    members = {"host": host, "guest": guest, "listener": ears[0], "other": ears[1]}
    try:
        model = await host.client.create_room("Volumes")
        for m in (guest, *ears):
            await m.client.join(model.room_id)
        await guest.client.request(RaiseHand())
        await host.client.request(ApproveHand(user_id=guest.user_id))
        await guest.client.wait_until(lambda m: m.role_of(guest.user_id) == Role.SPEAKER)
        for m in members.values():
            await m.start_audio()
        await host.link.press()
        await guest.link.press()
        for ear in ears:
            await until_heard(ear, HOST_HZ)
            await until_heard(ear, GUEST_HZ)
        yield members
    finally:
        for m in members.values():
            await m.close()


def guest_to_host_db(audio: NDArray[np.int16]) -> float:
    """The guest's level against the host's in `audio`, in dB (tone powers)."""
    guest = max(tone_power_ratio(audio, GUEST_HZ), 1e-9)
    return 10 * math.log10(guest / max(tone_power_ratio(audio, HOST_HZ), 1e-9))


async def settled(member: Member, ok: Callable[[NDArray[np.int16]], bool]) -> NDArray[np.int16]:
    """A second of what `member` hears, again until `ok` holds of one (a change
    reaches the ear after a request, a mix and a playout buffer; the machine is
    busy), at most 20 s: the last is returned, for the test to fail on."""
    deadline = time.monotonic() + 20
    while not ok(heard := await member.record(1.0)) and time.monotonic() < deadline:
        pass
    return heard


async def test_zero_percent_silences_that_speaker_for_this_listener_only(
    room: dict[str, Member],
) -> None:
    listener, other, guest = room["listener"], room["other"], room["guest"]
    await listener.client.request(SetSpeakerVolumes(volumes={guest.user_id: 0}))
    heard = await settled(listener, lambda a: tone_power_ratio(a, GUEST_HZ) < 0.01)
    assert hears(heard, HOST_HZ)
    assert tone_power_ratio(heard, GUEST_HZ) < 0.01
    # The other listener still hears the room's shared mix, both voices.
    shared = await settled(other, lambda a: hears(a, HOST_HZ) and hears(a, GUEST_HZ))
    assert hears(shared, HOST_HZ) and hears(shared, GUEST_HZ)
    # Back to 100 %: the shared mix again, guest included.
    await listener.client.request(SetSpeakerVolumes(volumes={}))
    await until_heard(listener, GUEST_HZ, timeout=20)


async def test_two_hundred_percent_makes_that_speaker_louder(room: dict[str, Member]) -> None:
    listener, guest = room["listener"], room["guest"]
    # The two send the same amplitude: about 0 dB at 100 %.
    same = guest_to_host_db(await settled(listener, lambda a: abs(guest_to_host_db(a)) < 1.5))
    assert abs(same) < 1.5, same
    await listener.client.request(SetSpeakerVolumes(volumes={guest.user_id: 200}))
    # Twice the amplitude is +6 dB against the other voice (Opus keeps it within a dB).
    louder = guest_to_host_db(await settled(listener, lambda a: 5 < guest_to_host_db(a) < 7))
    assert 5.0 < louder < 7.0, louder
    await listener.client.request(SetSpeakerVolumes(volumes={guest.user_id: 50}))
    quieter = guest_to_host_db(await settled(listener, lambda a: -7 < guest_to_host_db(a) < -5))
    assert -7.0 < quieter < -5.0, quieter


async def test_a_speaker_on_stage_can_turn_another_down_and_still_not_hear_themselves(
    room: dict[str, Member],
) -> None:
    host, guest = room["host"], room["guest"]
    await host.client.request(SetSpeakerVolumes(volumes={guest.user_id: 0}))
    heard = await settled(host, lambda a: tone_power_ratio(a, GUEST_HZ) < 0.01)
    assert tone_power_ratio(heard, GUEST_HZ) < 0.01 and tone_power_ratio(heard, HOST_HZ) < 0.02


async def test_beyond_the_rooms_personal_mixes_the_request_is_refused_and_the_mix_kept(
    room: dict[str, Member], server: RunningServer
) -> None:
    listener, other, guest = room["listener"], room["other"], room["guest"]
    server.hub.voice.personal_mixes = 1
    await listener.client.request(SetSpeakerVolumes(volumes={guest.user_id: 0}))
    with pytest.raises(RequestFailed) as refused:
        await other.client.request(SetSpeakerVolumes(volumes={guest.user_id: 0}))
    assert refused.value.code == "personal_mix_full"
    shared = await settled(other, lambda a: hears(a, GUEST_HZ))
    assert hears(shared, GUEST_HZ)
    # The slot frees when its listener goes back to 100 %.
    await listener.client.request(SetSpeakerVolumes(volumes={guest.user_id: 100}))
    await other.client.request(SetSpeakerVolumes(volumes={guest.user_id: 0}))
    heard = await settled(other, lambda a: tone_power_ratio(a, GUEST_HZ) < 0.01)
    assert tone_power_ratio(heard, GUEST_HZ) < 0.01
