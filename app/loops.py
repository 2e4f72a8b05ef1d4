"""The event loop a process runs on: uvloop where it is installed, else asyncio's own.

uvloop (libuv) does the loop's own work per frame (selects, callbacks,
socket reads and writes) in C; in a join storm that work, not the handlers,
was most of the server's time. It is not built for Windows, where the stock
loop runs. `--loop` (or $PANGGUNG_LOOP) picks one explicitly, so that a
benchmark can compare the two in one run.

`panggung-server` runs on asyncio's loop unless asked for uvloop: on uvloop
its refusals at the descriptor limit (app/server/http/listener.py) do not
reach the clients, and accept() failing is not logged the way the server's
tests expect (tests/server/hostile/test_exhaustion.py fails on it). The load
bots, which need none of that, take uvloop where installed.
"""

import asyncio
import importlib.util
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

ENV = "PANGGUNG_LOOP"
CHOICES = ("auto", "asyncio", "uvloop")

T = TypeVar("T")


class LoopUnavailable(RuntimeError):
    pass


def uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def resolve(choice: str | None = None, default: str = "auto") -> str:
    """`asyncio` or `uvloop`: the explicit choice, else $PANGGUNG_LOOP, else `default`
    (`auto`: the best installed)."""
    wanted = (choice or os.environ.get(ENV) or default).strip().lower()
    if wanted not in CHOICES:
        raise LoopUnavailable(f"unknown event loop {wanted!r}: choose one of {', '.join(CHOICES)}")
    if wanted == "auto":
        return "uvloop" if uvloop_installed() else "asyncio"
    if wanted == "uvloop" and not uvloop_installed():
        raise LoopUnavailable("uvloop is not installed here (it is not built for Windows)")
    return wanted


def factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], choice: str | None = None, default: str = "auto") -> T:
    """asyncio.run on the chosen loop."""
    try:
        make = factory(resolve(choice, default))
    except LoopUnavailable:
        main.close()  # never awaited: no "coroutine was never awaited" warning
        raise
    with asyncio.Runner(loop_factory=make) as runner:
        return runner.run(main)


def running_name() -> str:
    """What the running loop is, for reports: `uvloop` or `asyncio`."""
    loop = asyncio.get_running_loop()
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
