"""The global push-to-talk hotkey (pynput) under a real X server (Xvfb):
keys pressed with XTEST, as another program's window would get them."""

import asyncio
import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from app.client.app_settings import Settings
from app.client.hotkey import PttHotkey, unavailable_reason
from app.hookcheck import UnsupportedLibrary
from tests.client.desktop_support import until
from tests.support.xserver import XUnavailable, xvfb


@pytest.fixture
def x_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    try:
        with xvfb("640x480x24") as display:
            # pynput (Xlib) reads DISPLAY from the environment.
            monkeypatch.setenv("DISPLAY", display)
            monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
            yield display
    except XUnavailable as exc:
        pytest.fail(str(exc))


class Keys:
    """Presses keys on the X server through XTEST."""

    def __init__(self) -> None:
        xlib: Any = importlib.import_module("Xlib.display")
        self._x: Any = importlib.import_module("Xlib.X")
        self._xtest: Any = importlib.import_module("Xlib.ext.xtest")
        self._xk: Any = importlib.import_module("Xlib.XK")
        self.display = xlib.Display()

    def _send(self, name: str, kind: int) -> None:
        code = self.display.keysym_to_keycode(self._xk.string_to_keysym(name))
        self._xtest.fake_input(self.display, kind, code)
        self.display.sync()

    def press(self, name: str) -> None:
        self._send(name, self._x.KeyPress)

    def release(self, name: str) -> None:
        self._send(name, self._x.KeyRelease)

    def close(self) -> None:
        self.display.close()


async def test_the_global_key_talks_from_the_background(x_display: str) -> None:
    seen: list[str] = []
    can_talk, window_active = [True], [False]
    hotkey = PttHotkey(
        lambda: can_talk[0],
        lambda: seen.append("press"),
        lambda: seen.append("release"),
        asyncio.get_running_loop(),
        environ={"DISPLAY": x_display},
        window_has_keys=lambda: window_active[0],
    )
    assert unavailable_reason({"DISPLAY": x_display}) is None
    keys = Keys()
    try:
        hotkey.apply(Settings(ptt_key="F8", global_ptt=True))
        assert hotkey.hotkey is not None
        keys.press("F8")
        await until(lambda: seen == ["press"], 10, "press")
        # X11 auto-repeat: release+press pairs while held are one press.
        for _ in range(3):
            keys.release("F8")
            keys.press("F8")
            await asyncio.sleep(0.01)
        keys.release("F8")
        await until(lambda: seen == ["press", "release"], 10, "release")

        keys.press("space")  # not the key
        keys.release("space")
        await asyncio.sleep(0.3)
        assert seen == ["press", "release"]

        # A new key from the settings; presses count only for a speaker
        # and not while the window handles its own key.
        hotkey.apply(Settings(ptt_key="Space", global_ptt=True))
        can_talk[0] = False
        keys.press("space")
        keys.release("space")
        await asyncio.sleep(0.3)
        can_talk[0], window_active[0] = True, True
        keys.press("space")
        keys.release("space")
        await asyncio.sleep(0.3)
        window_active[0] = False
        keys.press("space")
        await until(lambda: seen[-1] == "press", 10, "space pressed")
        keys.release("space")
        await until(lambda: seen[-1] == "release", 10, "space released")
        assert seen.count("press") == 2

        hotkey.apply(Settings(ptt_key="Space", global_ptt=False))
        assert hotkey.hotkey is None
    finally:
        hotkey.stop()
        # Every listener thread ends before the fixture stops Xvfb: one still
        # reading from it would die of a broken pipe after the test.
        stopped = await asyncio.to_thread(hotkey.join, 10)
        keys.close()
    assert stopped, "a pynput listener thread is still running"


def test_pynput_hooks_are_checked_and_a_changed_listener_is_refused(
    x_display: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from pynput._util import xorg

    from app.client import pynput_hooks
    from app.client.hotkey import start_global_hotkey

    assert pynput_hooks.check().startswith("pynput 1.8")

    def _run(self: object) -> None:  # a listener that no longer sets _display_stop/_context
        return None

    monkeypatch.setattr(xorg.ListenerMixin, "_run", _run)
    with pytest.raises(UnsupportedLibrary, match="no longer sets _display_stop, _context"):
        pynput_hooks.check()
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level("ERROR"):
            hotkey = start_global_hotkey(
                "F8", lambda: None, lambda: None, loop, environ={"DISPLAY": x_display}
            )
    finally:
        loop.close()
    assert hotkey is None
    assert "pynput 1.8" in caplog.text and "is not supported" in caplog.text
