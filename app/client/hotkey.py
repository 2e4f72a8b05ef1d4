"""A global push-to-talk hotkey (pynput), where the desktop allows one.

X11 lets a program see keys pressed in other windows; Wayland does not, and
without a display there is nothing to listen to. `start_global_hotkey`
returns None in those cases (logging why): the window's key and the
`panggung ptt` command still work. pynput calls back on its own thread; the
presses are handed to the event loop.
"""

import asyncio
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from app.client import pynput_hooks
from app.client.app_settings import Settings
from app.client.pynput_hooks import listener_ready, wake_x11_listener
from app.hookcheck import UnsupportedLibrary

log = logging.getLogger(__name__)
REPEAT_GAP = 0.05  # s: a press this soon after a release is the key repeating

# Qt key names (QKeySequence.toString) that differ from pynput's Key names.
_SPECIAL = {
    "Space": "space",
    "Tab": "tab",
    "Return": "enter",
    "Enter": "enter",
    "Esc": "esc",
    "Backspace": "backspace",
    "Ins": "insert",
    "Del": "delete",
    "Home": "home",
    "End": "end",
    "PgUp": "page_up",
    "PgDown": "page_down",
    "Left": "left",
    "Right": "right",
    "Up": "up",
    "Down": "down",
    "Pause": "pause",
    "ScrollLock": "scroll_lock",
    "CapsLock": "caps_lock",
    "NumLock": "num_lock",
    "Menu": "menu",
    "Print": "print_screen",
    "Ctrl": "ctrl",
    "Control": "ctrl",
    "Shift": "shift",
    "Alt": "alt",
    "Meta": "cmd",
}


def unavailable_reason(environ: dict[str, str] | None = None) -> str | None:
    """Why no global hotkey can work here, or None if it may."""
    env = os.environ if environ is None else environ
    if env.get("QT_QPA_PLATFORM") == "offscreen":
        return "no visible window (offscreen)"
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return "Wayland does not let programs see keys pressed in other windows"
    if not env.get("DISPLAY"):
        return "no X display"
    return None


def pynput_key_name(qt_name: str) -> str | None:
    """pynput's name for a Qt key name: "space", "f9", or one character."""
    if qt_name in _SPECIAL:
        return _SPECIAL[qt_name]
    if len(qt_name) >= 2 and qt_name[0] == "F" and qt_name[1:].isdigit():
        return qt_name.lower()
    if len(qt_name) == 1:
        return qt_name.lower()
    return None


class GlobalHotkey:
    """Calls `on_press`/`on_release` on `loop` when `key` goes down/up anywhere."""

    def __init__(
        self,
        key: str,
        on_press: Callable[[], None],
        on_release: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        # Imported here: pynput connects to the display on import, and may fail.
        keyboard: Any = importlib.import_module("pynput.keyboard")
        pynput_hooks.check()  # UnsupportedLibrary: better no hotkey than one that hangs

        self._keyboard = keyboard
        self._on_press = on_press
        self._on_release = on_release
        self._loop = loop
        self._target: Any = None
        self.is_down = False
        self._stopped = False
        self._release_pending: asyncio.TimerHandle | None = None
        self._stopper: threading.Thread | None = None
        self.set_key(key)
        self._listener = keyboard.Listener(on_press=self._pressed, on_release=self._released)
        self._listener.daemon = True
        self._listener.start()
        # pynput's own wait() blocks forever if its thread dies first: bounded here.
        deadline = time.monotonic() + 2.0
        while not listener_ready(self._listener) and time.monotonic() < deadline:
            if not self._listener.is_alive():
                raise RuntimeError("the pynput listener stopped at start")
            time.sleep(0.01)

    def set_key(self, key: str) -> None:
        name = pynput_key_name(key)
        kb = self._keyboard
        if name is None:
            log.info("no global hotkey for %r", key)
            self._target = None
        elif len(name) == 1:
            self._target = kb.KeyCode.from_char(name)
        else:
            self._target = getattr(kb.Key, name, None)

    def _matches(self, key: Any) -> bool:
        target = self._target
        if target is None or key is None:
            return False
        if isinstance(key, self._keyboard.KeyCode) and isinstance(target, self._keyboard.KeyCode):
            return (key.char or "").lower() == (target.char or "")
        return bool(key == target)

    # pynput's thread: hand the key over to the loop.

    def _pressed(self, key: Any) -> None:
        if not self._stopped and self._matches(key):
            self._loop.call_soon_threadsafe(self._down)

    def _released(self, key: Any) -> None:
        if not self._stopped and self._matches(key):
            self._loop.call_soon_threadsafe(self._up)

    # The loop: X11's auto-repeat sends release+press pairs while a key is
    # held; a release is only believed when no press follows within
    # REPEAT_GAP, so a held key is one press (a latch does not flap).

    def _down(self) -> None:
        if self._release_pending is not None:
            self._release_pending.cancel()
            self._release_pending = None
            return  # auto-repeat: still held
        if self.is_down:
            return
        self.is_down = True
        self._on_press()

    def _up(self) -> None:
        if self.is_down and self._release_pending is None:
            self._release_pending = self._loop.call_later(REPEAT_GAP, self._released_now)

    def _released_now(self) -> None:
        self._release_pending = None
        self.is_down = False
        self._on_release()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        # Stopping pynput talks to the X server and may wait on it: never on
        # the event loop (the threads are daemons; quitting ends them).
        self._stopper = threading.Thread(
            target=self._stop_listener, daemon=True, name="pynput-stop"
        )
        self._stopper.start()
        if self._release_pending is not None:
            self._release_pending.cancel()
            self._release_pending = None
        if self.is_down:
            self.is_down = False
            self._on_release()

    def _stop_listener(self) -> None:
        listener = self._listener
        listener.stop()
        # pynput (X11) asks the server to end its recording on the connection
        # its thread is blocked reading, so the request only goes out with the
        # next key event. The same request on its second connection goes out
        # now and wakes the thread (as pynput does itself when the thread ends).
        wake_x11_listener(listener)

    def join(self, timeout: float) -> bool:
        """Wait (blocking) for the listener thread to end after `stop`; whether it did.

        For whoever is about to take the X server away (tests stopping Xvfb):
        a listener still reading from it would die of a broken pipe."""
        deadline = time.monotonic() + timeout
        for thread in (self._stopper, self._listener):
            if thread is not None:
                # Thread's own join: pynput's re-raises what its callbacks raised.
                threading.Thread.join(thread, max(0.0, deadline - time.monotonic()))
        return not self._listener.is_alive()


def start_global_hotkey(
    key: str,
    on_press: Callable[[], None],
    on_release: Callable[[], None],
    loop: asyncio.AbstractEventLoop,
    environ: dict[str, str] | None = None,
) -> GlobalHotkey | None:
    """The hotkey, or None (logged) where the platform does not allow one."""
    reason = unavailable_reason(environ)
    if reason is None:
        try:
            return GlobalHotkey(key, on_press, on_release, loop)
        except UnsupportedLibrary as exc:
            log.error("no global push-to-talk hotkey: %s", exc)
            return None
        except Exception as exc:  # ImportError, Xlib display errors, ...
            reason = f"pynput could not start: {exc!r}"
    log.info("no global push-to-talk hotkey (%s): the window's key and `panggung ptt` work", reason)
    return None


class PttHotkey:
    """The global hotkey as the settings want it: on or off, and which key.

    Presses count only while the person may talk, so that typing the key in
    another program while listening does not raise "only the stage talks";
    and not while `window_has_keys()` (the window handles its own key: two
    sources of the same press could otherwise flip a latch twice)."""

    def __init__(
        self,
        can_talk: Callable[[], bool],
        press: Callable[[], None],
        release: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        environ: dict[str, str] | None = None,
        window_has_keys: Callable[[], bool] = lambda: False,
    ) -> None:
        self._can_talk = can_talk
        self._window_has_keys = window_has_keys
        self._press = press
        self._release = release
        self._loop = loop
        self._environ = environ
        self.hotkey: GlobalHotkey | None = None
        self._tried = False
        self._stopping: list[GlobalHotkey] = []  # stopped, their threads maybe not done

    def apply(self, settings: Settings) -> None:
        """Follow `settings.global_ptt` and `settings.ptt_key`."""
        if not settings.global_ptt:
            self.stop()
            return
        if self.hotkey is not None:
            self.hotkey.set_key(settings.ptt_key)
        elif not self._tried:
            self._tried = True  # one attempt: a platform that refused will refuse again
            self.hotkey = start_global_hotkey(
                settings.ptt_key, self.pressed, self._release, self._loop, self._environ
            )

    def pressed(self) -> None:
        """The global key went down: a press, if the person may talk now."""
        if self._can_talk() and not self._window_has_keys():
            self._press()

    def stop(self) -> None:
        hotkey, self.hotkey = self.hotkey, None
        self._tried = False
        if hotkey is not None:
            hotkey.stop()
            self._stopping.append(hotkey)

    def join(self, timeout: float = 5.0) -> bool:
        """Blocking: wait for the stopped hotkeys' threads to end; whether they all did."""
        deadline = time.monotonic() + timeout
        for hotkey in list(self._stopping):
            if hotkey.join(max(0.0, deadline - time.monotonic())):
                self._stopping.remove(hotkey)
        return not self._stopping
