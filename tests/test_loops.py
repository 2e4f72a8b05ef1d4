"""Choosing the event loop (app/loops.py): explicit, from the environment, or the best installed."""

import asyncio

import pytest

from app import loops


def test_auto_picks_uvloop_where_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(loops.ENV, raising=False)
    assert loops.resolve() == "uvloop"
    monkeypatch.setattr(loops, "uvloop_installed", lambda: False)
    assert loops.resolve() == "asyncio"
    assert loops.resolve("auto") == "asyncio"


def test_an_explicit_choice_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loops.ENV, "asyncio")
    assert loops.resolve() == "asyncio"
    assert loops.resolve("uvloop") == "uvloop"


def test_uvloop_asked_for_where_it_is_missing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loops, "uvloop_installed", lambda: False)
    with pytest.raises(loops.LoopUnavailable, match="not installed"):
        loops.resolve("uvloop")
    with pytest.raises(loops.LoopUnavailable, match="unknown event loop"):
        loops.resolve("trio")


@pytest.mark.parametrize("name", ["asyncio", "uvloop"])
def test_run_runs_on_the_loop_chosen(name: str) -> None:
    async def which() -> str:
        await asyncio.sleep(0)
        return loops.running_name()

    assert loops.run(which(), name) == name


def test_the_servers_default_is_asyncio_unless_uvloop_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(loops.ENV, raising=False)
    assert loops.resolve(default="asyncio") == "asyncio"
    assert loops.resolve("auto", default="asyncio") == "uvloop"
    monkeypatch.setenv(loops.ENV, "uvloop")
    assert loops.resolve(default="asyncio") == "uvloop"
