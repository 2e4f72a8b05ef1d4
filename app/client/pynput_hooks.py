"""pynput's internals that the global push-to-talk key relies on.

- ``AbstractListener._ready``: pynput's own ``wait()`` blocks forever when
  its thread dies at start; we poll this flag with a deadline instead.
- X11 (``pynput._util.xorg.ListenerMixin``): ``_display_stop`` and
  ``_context``, to send the "stop recording" request on pynput's second
  connection, which wakes its thread at once (pynput's own stop waits for
  the next key event).

pynput connects to the display when imported, so these checks run where a
hotkey is started (`check` before the first listener), and in the
self-test only where a display exists.
"""

from __future__ import annotations

import logging
import sys
from importlib.metadata import version
from typing import Any

from app.hookcheck import hook, require

log = logging.getLogger(__name__)
WRITTEN_FOR = "1.8"


def check() -> str:
    """Imports pynput: raises ImportError without a display, UnsupportedLibrary on a mismatch."""
    from pynput import _util

    hooks = [hook(_util.AbstractListener, "_mark_ready")]
    summary = require("pynput", version("pynput"), WRITTEN_FOR, hooks)
    if sys.platform.startswith("linux"):
        from pynput._util import xorg

        run = xorg.ListenerMixin._run.__code__.co_names
        missing = [name for name in ("_display_stop", "_context") if name not in run]
        if missing:
            from app.hookcheck import UnsupportedLibrary

            raise UnsupportedLibrary(
                f"pynput {version('pynput')} is not supported: its X11 listener no longer "
                f"sets {', '.join(missing)} (written for pynput {WRITTEN_FOR}.x)"
            )
    return summary


def listener_ready(listener: Any) -> bool:
    """Whether pynput's thread is set up (True where pynput does not say)."""
    return bool(getattr(listener, "_ready", True))


def wake_x11_listener(listener: Any) -> None:
    """After ``listener.stop()``: end X11 recording on the second connection, waking the thread."""
    display, context = getattr(listener, "_display_stop", None), getattr(listener, "_context", None)
    if display is None or context is None:
        return
    try:
        display.record_disable_context(context)
        display.flush()
    except Exception as exc:  # the thread closed it first, or X went away
        log.debug("pynput display already closed: %r", exc)
