"""qasync's and asyncio's internals that the app's event loop relies on.

`AppEventLoop` (app/ui/application.py) keeps asyncio's running loop set
while qasync's ``run_until_complete`` processes Qt's events one last time
after ``run_forever`` returned; that needs asyncio's private
``events._set_running_loop`` and qasync's two methods being the ones that
clear it.

It also runs a ready socket's callback at once (`on_notifier_ready`, in place
of qasync's ``_QEventLoop__on_notifier_ready``): qasync hands each one to
``call_soon``, a zero-length Qt timer of its own, so every datagram the
media path receives cost a second Qt event, a timer started and killed, and
their trips through PySide (issue 18 point 11: the listening app's CPU).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import qasync

from app.hookcheck import hook, require

WRITTEN_FOR = "0.28"


def set_running_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    asyncio.events._set_running_loop(loop)


NOTIFIER_READY = "_QEventLoop__on_notifier_ready"


def on_notifier_ready(
    loop: asyncio.AbstractEventLoop,
    notifiers: dict[int, Any],
    notifier: Any,
    fd: int,
    callback: Callable[..., object],
    args: tuple[object, ...],
) -> None:
    """A socket is ready: its reader or writer runs now, inside Qt's dispatch of
    the notifier, as a selector loop runs it in the iteration that saw it
    ready. The notifier stays enabled (level-triggered: a socket left
    unread fires again); one removed or replaced meanwhile is not called."""
    if notifiers.get(fd) is not notifier:
        notifier.setEnabled(False)
        return
    try:
        callback(*args)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:  # as asyncio.Handle does: reported, the loop goes on
        loop.call_exception_handler(
            {"message": f"Exception in callback {callback!r}", "exception": exc}
        )
    finally:
        if notifiers.get(fd) is not notifier:
            # The callback removed or replaced its reader (a closed transport):
            # the last reference to this notifier would go with the slot, and
            # Qt would then return into a deleted object's signal. Kept until
            # the next round of the loop, after the emission has returned.
            loop.call_soon(_keep, notifier)


def _keep(_notifier: object) -> None:
    pass


def check() -> str:
    return require(
        "qasync",
        version("qasync"),
        WRITTEN_FOR,
        [
            hook(asyncio.events, "_set_running_loop"),
            hook(qasync.QEventLoop, "run_forever"),
            hook(qasync.QEventLoop, "run_until_complete"),
            hook(qasync.QEventLoop, NOTIFIER_READY),
            hook(qasync.QEventLoop, "_add_callback"),  # AppEventLoop: its ready queue
        ],
    )
