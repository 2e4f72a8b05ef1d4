"""Closes that must end: a hung one fails the test with every task's stack."""

import asyncio
import io
from collections.abc import Awaitable
from typing import Any


async def closed_within(closing: Awaitable[object], seconds: float, what: str) -> None:
    """Await a close; one that hangs fails the test with every task's stack
    (a bare pytest timeout shows only the selector)."""
    task = asyncio.ensure_future(closing)
    try:
        await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        stacks = io.StringIO()
        for other in asyncio.all_tasks():
            print(other.get_name(), file=stacks)
            coro: Any = other.get_coro()
            while coro is not None:
                frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
                if frame is not None:
                    print("   ", frame.f_code.co_filename, frame.f_lineno, file=stacks)
                coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        raise AssertionError(f"{what} did not close:\n{stacks.getvalue()}") from None
