"""qasync's and asyncio's internals that the app's event loop relies on.

`AppEventLoop` (app/ui/application.py) keeps asyncio's running loop set
while qasync's ``run_until_complete`` processes Qt's events one last time
after ``run_forever`` returned; that needs asyncio's private
``events._set_running_loop`` and qasync's two methods being the ones that
clear it.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version

import qasync

from app.hookcheck import hook, require

WRITTEN_FOR = "0.28"


def set_running_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    asyncio.events._set_running_loop(loop)


def check() -> str:
    return require(
        "qasync",
        version("qasync"),
        WRITTEN_FOR,
        [
            hook(asyncio.events, "_set_running_loop"),
            hook(qasync.QEventLoop, "run_forever"),
            hook(qasync.QEventLoop, "run_until_complete"),
        ],
    )
