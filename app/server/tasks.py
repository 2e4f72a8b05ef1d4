"""Stopping background tasks that may not want to stop."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def stop_tasks(tasks: list["asyncio.Task[None]"], what: str) -> None:
    """Cancel, and cancel again: redis-py can swallow a cancellation that lands
    inside a command, and the loop then carries on as if nothing happened
    (a single cancel and await then waits forever: seen as a hung shutdown)."""
    pending = {task for task in tasks if not task.done()}
    for _ in range(50):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
    for task in pending:
        log.error("%s task %s would not stop", what, task.get_name())
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("%s task %s failed: %s", what, task.get_name(), task.exception())
