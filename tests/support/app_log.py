"""Waiting on the app's structured log lines (app/json_log.py), as end-to-end tests do."""

import asyncio
import json
from typing import Any


async def wait_for_event(
    stream: asyncio.StreamReader, event: str, timeout: float = 60.0
) -> dict[str, Any]:
    """The first JSON line on `stream` whose `event` is `event`; other lines are skipped."""

    async def read() -> dict[str, Any]:
        while line := await stream.readline():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # not one of ours (a library printing)
            if isinstance(record, dict) and record.get("event") == event:
                return record
        raise EOFError(f"the app exited before logging {event!r}")

    return await asyncio.wait_for(read(), timeout)
