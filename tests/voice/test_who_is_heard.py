"""Real voices through the real server: the mix carries exactly the members
the room's rules allow, and each checks the audio itself."""

from collections.abc import AsyncIterator

import pytest

from app.client.connection import RequestFailed
from app.dsp.analysis import tone_power_ratio
from app.dsp.signals import ToneSource
from app.protocol.model import Role
from app.protocol.requests import ApproveHand, Mute, RaiseHand, Unmute
from app.server.app import RunningServer

from .helpers import Member, hears, silent, until_heard


@pytest.fixture
async def room(server: RunningServer) -> AsyncIterator[dict[str, Member]]:
    """host (440 Hz) on stage, guest (660 Hz) brought up by hand, listener (880 Hz, hostile)."""
    host = await Member.sign_in(server.url, "host", ToneSource(440).next_frame)
    guest = await Member.sign_in(server.url, "guest", ToneSource(660).next_frame)
    listener = await Member.sign_in(server.url, "listener", ToneSource(880).next_frame)
    members = {"host": host, "guest": guest, "listener": listener}
    try:
        model = await host.client.create_room("Voices")
        for m in (guest, listener):
            await m.client.join(model.room_id)
        await guest.client.request(RaiseHand())
        await host.client.request(ApproveHand(user_id=guest.user_id))
        await guest.client.wait_until(lambda m: m.role_of(guest.user_id) == Role.SPEAKER)
        for m in members.values():
            await m.start_audio()
        yield members
    finally:
        for m in members.values():
            await m.close()


async def test_speakers_are_heard_by_all_but_not_by_themselves(room: dict[str, Member]) -> None:
    host, guest, listener = room["host"], room["guest"], room["listener"]
    await host.link.press()
    await guest.link.press()
    await until_heard(listener, 440)
    await until_heard(listener, 660)
    audience = await listener.record(1.0)
    assert hears(audience, 440) and hears(audience, 660)
    # Each speaker hears the other, never their own voice.
    host_return, guest_return = await host.record(1.0), await guest.record(1.0)
    assert hears(host_return, 660) and tone_power_ratio(host_return, 440) < 0.02
    assert hears(guest_return, 440) and tone_power_ratio(guest_return, 660) < 0.02


async def test_a_listener_who_sends_anyway_is_not_heard(room: dict[str, Member]) -> None:
    host, listener = room["host"], room["listener"]
    with pytest.raises(RequestFailed) as refused:
        await listener.link.press()
    assert refused.value.code == "forbidden"
    # A hostile client ignores the refusal and sends its 880 Hz regardless.
    assert listener.link.peer is not None
    listener.link.peer.set_sending(True)
    await host.link.press()
    await until_heard(listener, 440)
    heard_by_host_side = await room["guest"].record(1.5)
    assert hears(heard_by_host_side, 440)
    assert tone_power_ratio(heard_by_host_side, 880) < 0.02


async def test_a_speaker_who_sends_without_push_to_talk_is_not_heard(
    room: dict[str, Member],
) -> None:
    guest, listener = room["guest"], room["listener"]
    assert guest.link.peer is not None
    guest.link.peer.set_sending(True)  # sending, but push-to-talk never pressed
    assert silent(await listener.record(1.5))


async def test_a_muted_speaker_is_not_heard_until_unmuted(room: dict[str, Member]) -> None:
    host, guest, listener = room["host"], room["guest"], room["listener"]
    await guest.link.press()
    await until_heard(listener, 660)
    await host.client.request(Mute(user_id=guest.user_id))
    await listener.record(0.3)  # what was already in flight
    assert silent(await listener.record(1.0))
    await host.client.request(Unmute(user_id=guest.user_id))
    await until_heard(listener, 660)


async def test_releasing_push_to_talk_falls_silent(room: dict[str, Member]) -> None:
    host, listener = room["host"], room["listener"]
    await host.link.press()
    await until_heard(listener, 440)
    await host.link.release()
    await listener.record(0.3)
    assert silent(await listener.record(1.0))


async def test_the_server_says_who_is_talking_and_when_they_stop(room: dict[str, Member]) -> None:
    host, guest, listener = room["host"], room["guest"], room["listener"]
    assert listener.link.peer is not None
    listener.link.peer.set_sending(True)  # a hostile listener never shows up as talking
    await host.link.press()
    await listener.client.wait_until(lambda m: host.user_id in listener.client.speaking)
    assert 0.3 < listener.client.speaking[host.user_id] <= 1.0
    assert set(listener.client.speaking) == {host.user_id}
    await host.link.release()
    await listener.client.wait_until(lambda m: not listener.client.speaking, timeout=5)
    await guest.link.press()
    await listener.client.wait_until(lambda m: set(listener.client.speaking) == {guest.user_id})
