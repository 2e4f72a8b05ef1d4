"""Per-speaker volumes as the settings keep them (by username) and as the
session sends them (by user id, for the stage, once per change)."""

import asyncio

from app.client.app_settings import Settings
from app.client.connection import RequestFailed
from app.client.room_model import RoomModel
from app.client.speaker_volumes import SpeakerVolumes, format_volumes, parse
from app.protocol.model import MemberView, Role, RoomSnapshot


def test_parse_and_format_round_trip_and_hold_values_to_range() -> None:
    assert parse("ayu=50 budi=200") == {"ayu": 50, "budi": 200}
    assert parse("ayu=999 budi=100 =5 cit=x d.e-f_g=0") == {"ayu": 200, "d.e-f_g": 0}
    assert format_volumes({"budi": 200, "ayu": 50, "citra": 100}) == "ayu=50 budi=200"
    assert parse("") == {} and format_volumes({}) == ""


def test_settings_refuse_a_broken_value_and_keep_a_good_one() -> None:
    assert Settings.from_text({"speaker_volumes": "ayu=50 budi=200"}).speaker_volumes == (
        "ayu=50 budi=200"
    )
    assert Settings.from_text({"speaker_volumes": "ayu=50,budi"}).speaker_volumes == ""


def room(*stage: tuple[int, str]) -> RoomModel:
    members = [
        MemberView(user_id=uid, name=name, role=Role.SPEAKER, joined_at=1.0) for uid, name in stage
    ]
    snapshot = RoomSnapshot(
        room_id="r",
        title="t",
        topic="",
        invite_only=False,
        stage_capacity=13,
        locked=False,
        hands_enabled=True,
        pinned_link=None,
        status="live",
        host_id=stage[0][0],
        created_at=0.0,
        seq=0,
        members=members,
    )
    return RoomModel(snapshot)


async def test_sends_the_stages_volumes_once_per_change_and_not_a_refusal_again() -> None:
    sent: list[dict[int, int]] = []
    refusals: list[str] = []
    refuse = False

    async def send(volumes: dict[int, int]) -> None:
        await asyncio.sleep(0)
        sent.append(volumes)
        if refuse:
            raise RequestFailed("personal_mix_full", "full")

    tasks: list[asyncio.Task[None]] = []

    def spawn(work: object) -> asyncio.Task[None]:
        tasks.append(asyncio.get_running_loop().create_task(work))  # type: ignore[arg-type]
        return tasks[-1]

    settings = Settings(speaker_volumes="budi=50 zed=0")
    volumes = SpeakerVolumes(settings, send, spawn, lambda exc: refusals.append(exc.code))

    async def settle() -> None:
        while not all(t.done() for t in tasks):
            await asyncio.gather(*tasks)

    volumes.room(room((1, "ayu"), (2, "budi")), live=False)
    await settle()
    assert sent == []  # no live link (the broadcast), nothing to send
    volumes.room(room((1, "ayu"), (2, "budi")), live=True)
    await settle()
    assert sent == [{2: 50}]  # zed is not on this stage
    volumes.room(room((1, "ayu"), (2, "budi")), live=True)
    await settle()
    assert sent == [{2: 50}]  # unchanged: not sent again
    # A slider moving fast: one request at a time, the latest value at the end.
    volumes.set("budi", 60)
    await asyncio.sleep(0)  # the first request is on its way
    for pct in (70, 80):
        volumes.set("budi", pct)
    volumes.set("ayu", 0)
    await settle()
    assert sent[1:] == [{2: 60}, {1: 0, 2: 80}]
    assert settings.speaker_volumes == "ayu=0 budi=80 zed=0"
    # Refused: told once, not retried until the wish changes.
    refuse = True
    count = len(sent)
    volumes.reset("ayu")
    await settle()
    volumes.room(room((1, "ayu"), (2, "budi")), live=True)
    await settle()
    assert len(sent) == count + 1 and refusals == ["personal_mix_full"]
    # Back from a reconnect: sent again.
    refuse = False
    volumes.forget()
    volumes.room(room((1, "ayu"), (2, "budi")), live=True)
    await settle()
    assert sent[-1] == {2: 80} and len(sent) == count + 2
