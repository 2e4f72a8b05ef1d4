"""Library hooks fail loudly at start when a library lost what they use."""

import asyncio

import pytest

from app.hookcheck import UnsupportedLibrary, hook, require
from app.ui import qasync_hooks


class Thing:
    def __init__(self) -> None:
        self._inner = 1

    def _method(self) -> None: ...


def test_all_present_names_the_library_and_count() -> None:
    assert require("lib", "1.2.3", "1.2", [hook(Thing, "_method"), hook(Thing(), "_inner")]) == (
        "lib 1.2.3: 2 hooks present"
    )


def test_another_version_with_every_hook_passes_with_a_note() -> None:
    assert require("lib", "1.3.0", "1.2", [hook(Thing, "_method")]).endswith(
        "untested (written for 1.2.x)"
    )


def test_missing_hooks_are_all_named() -> None:
    with pytest.raises(UnsupportedLibrary) as failure:
        require(
            "lib",
            "2.0",
            "1.2",
            [hook(Thing, "_gone"), hook(Thing(), "_inner"), hook(asyncio, "_x")],
        )
    assert str(failure.value) == (
        "lib 2.0 is not supported: missing Thing._gone, asyncio._x "
        "(Panggung's hooks are written for lib 1.2.x)"
    )


def test_qasync_hooks_check_fails_on_a_faked_missing_attribute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "qasync" in qasync_hooks.check()
    monkeypatch.delattr(asyncio.events, "_set_running_loop")
    with pytest.raises(UnsupportedLibrary, match=r"missing asyncio\.events\._set_running_loop"):
        qasync_hooks.check()
