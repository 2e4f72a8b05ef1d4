"""Every combination of push-to-talk sources, modes and mutes, as a table.

Two layers: the sources through `PttMachine` (what is wished), then
`talk_state` (what is heard), which the button, the tray, `panggung ptt
status` and the microphone all follow. The live test in
tests/voice/test_talk_heard.py checks the important rows against the audio.
"""

import itertools

import pytest

from app.client.ptt import PttMachine, PttMode, PttSource
from app.client.talk import Talk, may_talk, talk_state
from app.protocol.model import MemberView, Role
from tests.client.test_ptt import FakeClock

K, B, H, C = PttSource.KEY, PttSource.BUTTON, PttSource.HOTKEY, PttSource.CONTROL
HOLD, LATCH = PttMode.HOLD, PttMode.LATCH

# (mode, tail_ms, steps, live after each step). A step is "+src" (press),
# "-src" (release), "T" (toggle: the tray, `ptt toggle`), "S" (stop), or
# "wait" (the tail runs out).
SEQUENCES: list[tuple[PttMode, int, list[str], list[bool]]] = [
    # hold: live while any source holds it
    (HOLD, 0, ["+key", "-key"], [True, False]),
    (HOLD, 0, ["+key", "+button", "-key", "-button"], [True, True, True, False]),
    (HOLD, 0, ["+hotkey", "+key", "-hotkey", "-key"], [True, True, True, False]),
    (HOLD, 0, ["+button", "-key"], [True, True]),  # a release of another source
    (HOLD, 0, ["+key", "+key", "-key"], [True, True, False]),  # auto-repeat
    (HOLD, 300, ["+key", "-key", "wait"], [True, True, False]),
    (HOLD, 300, ["+key", "-key", "+button", "wait", "-button", "wait"], [True] * 5 + [False]),
    (HOLD, 0, ["+control", "-control"], [True, False]),
    (HOLD, 300, ["+control", "-control", "wait"], [True, True, False]),
    (HOLD, 0, ["T", "T"], [True, False]),
    (HOLD, 0, ["T", "+key", "-key"], [True, True, False]),
    (HOLD, 300, ["+key", "-key", "T"], [True, True, False]),  # toggle ends the tail
    (HOLD, 0, ["+key", "S", "-key"], [True, False, False]),
    # latch: the first press of any source flips, releases do nothing...
    (LATCH, 0, ["+key", "-key", "+key", "-key"], [True, True, False, False]),
    (LATCH, 0, ["+button", "-button", "+key", "-key"], [True, True, False, False]),
    # ...one physical press seen by the window and the global hook flips once
    (LATCH, 0, ["+key", "+hotkey", "-hotkey", "-key"], [True, True, True, True]),
    (LATCH, 0, ["T", "+key"], [True, False]),
    # ...but the control socket is a pedal: `ptt release` always ends talking
    (LATCH, 0, ["+control", "-control"], [True, False]),
    (LATCH, 300, ["+control", "-control", "wait"], [True, True, False]),
    (LATCH, 0, ["+key", "-key", "+control", "-control"], [True, True, True, False]),
    (LATCH, 0, ["+control", "+key", "-key", "-control"], [True, True, True, False]),
    (LATCH, 0, ["+key", "S", "+key"], [True, False, True]),
    # voice-activity mode's detector is a pedal in both modes, beside the key
    (HOLD, 0, ["+voice", "-voice"], [True, False]),
    (LATCH, 0, ["+voice", "-voice"], [True, False]),
    (HOLD, 0, ["+voice", "+key", "-voice", "-key"], [True, True, True, False]),
]


def _run(mode: PttMode, tail_ms: int, steps: list[str]) -> list[bool]:
    clock = FakeClock()
    ptt = PttMachine(clock, lambda _d: None, mode, tail_ms)
    out = []
    for step in steps:
        if step == "T":
            ptt.toggle()
        elif step == "S":
            ptt.stop()
        elif step == "wait":
            clock.advance(10)
        else:
            source = PttSource(step[1:])
            (ptt.press if step[0] == "+" else ptt.release)(source)
        out.append(ptt.live)
    return out


@pytest.mark.parametrize(("mode", "tail_ms", "steps", "expected"), SEQUENCES)
def test_sources_and_modes(
    mode: PttMode, tail_ms: int, steps: list[str], expected: list[bool]
) -> None:
    assert _run(mode, tail_ms, steps) == expected


def _member(role: Role, mod_muted: bool, self_muted: bool) -> MemberView:
    return MemberView(
        user_id=7, name="ayu", role=role, joined_at=0.0, mod_muted=mod_muted, self_muted=self_muted
    )


STAGE = (Role.HOST, Role.COHOST, Role.SPEAKER)


@pytest.mark.parametrize(
    ("role", "mod_muted", "self_muted", "ptt_live"),
    list(itertools.product([*STAGE, Role.LISTENER], [False, True], [False, True], [False, True])),
)
def test_heard_only_on_stage_unmuted_and_live(
    role: Role, mod_muted: bool, self_muted: bool, ptt_live: bool
) -> None:
    state = talk_state(True, _member(role, mod_muted, self_muted), ptt_live)
    on_stage = role in STAGE
    assert (state is Talk.LIVE) == (on_stage and not mod_muted and not self_muted and ptt_live)
    if not on_stage:
        assert state is Talk.LISTENING
    elif mod_muted:
        assert state is Talk.MOD_MUTED  # the moderator's mute wins: it cannot be undone here
    elif self_muted:
        assert state is Talk.SELF_MUTED
    assert may_talk(state) == (on_stage and not mod_muted and not self_muted)


@pytest.mark.parametrize("ptt_live", [False, True])
def test_out_of_the_room_is_never_heard(ptt_live: bool) -> None:
    assert talk_state(False, _member(Role.SPEAKER, False, False), ptt_live) is Talk.OUT
    assert talk_state(True, None, ptt_live) is Talk.OUT


@pytest.mark.parametrize(
    ("mod_muted", "self_muted", "ptt_live"),
    list(itertools.product([False, True], [False, True], [False, True])),
)
def test_waiting_for_the_floor_only_while_pressing_on_stage_unmuted(
    mod_muted: bool, self_muted: bool, ptt_live: bool
) -> None:
    state = talk_state(True, _member(Role.SPEAKER, mod_muted, self_muted), ptt_live, waiting=True)
    assert (state is Talk.WAITING) == (ptt_live and not mod_muted and not self_muted)
    # Waiting is still a wish to talk: nothing stops it while the queue moves.
    assert may_talk(state) == (not mod_muted and not self_muted)
