import pytest

from app.client.app_state import AppState, Phase


def test_a_normal_day() -> None:
    state = AppState()
    moves: list[tuple[Phase, Phase]] = []
    state.listeners.append(lambda a, b: moves.append((a, b)))
    for phase in (
        Phase.SIGNING_IN,
        Phase.DIRECTORY,
        Phase.IN_ROOM,
        Phase.RECONNECTING,
        Phase.IN_ROOM,
        Phase.DIRECTORY,
        Phase.SIGNED_OUT,
    ):
        state.move(phase)
    assert [b for _, b in moves][-1] is Phase.SIGNED_OUT and len(moves) == 7


def test_moving_to_the_same_phase_is_quiet() -> None:
    state = AppState()
    moves: list[tuple[Phase, Phase]] = []
    state.listeners.append(lambda a, b: moves.append((a, b)))
    state.move(Phase.SIGNED_OUT)
    assert moves == []


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ([], Phase.IN_ROOM),
        ([], Phase.DIRECTORY),
        ([Phase.SIGNING_IN], Phase.IN_ROOM),
    ],
)
def test_refused_moves(start: list[Phase], to: Phase) -> None:
    state = AppState()
    for phase in start:
        state.move(phase)
    with pytest.raises(ValueError):
        state.move(to)
