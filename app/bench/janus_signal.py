"""A minimal client of Janus's HTTP API for benchmark listeners (Streaming plugin).

One session per worker process with one handle per listener: events for all
handles arrive on the session's long poll and are routed by ``sender``.
Janus offers (``watch``), the listener answers (``start``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import aiohttp

from app.bench.janus_server import MOUNTPOINT_ID

_transactions = itertools.count()


class JanusError(RuntimeError):
    pass


class JanusSession:
    def __init__(self, url: str) -> None:
        self._url = url
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90))
        self._session_url = ""
        self._offers: dict[int, asyncio.Future[str]] = {}
        self._poll: asyncio.Task[None] | None = None

    async def open(self) -> None:
        data = await self._post(self._url, {"janus": "create"})
        self._session_url = f"{self._url}/{data['data']['id']}"
        self._poll = asyncio.create_task(self._long_poll())

    async def close(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            await asyncio.gather(self._poll, return_exceptions=True)
        if self._session_url:
            with contextlib.suppress(aiohttp.ClientError, JanusError, TimeoutError):
                await self._post(self._session_url, {"janus": "destroy"})
        await self._http.close()

    async def watch(self) -> tuple[int, str]:
        """Attach a Streaming handle, ask to watch the mountpoint; returns (handle, offer SDP)."""
        data = await self._post(
            self._session_url, {"janus": "attach", "plugin": "janus.plugin.streaming"}
        )
        handle = int(data["data"]["id"])
        offer = asyncio.get_running_loop().create_future()
        self._offers[handle] = offer
        body = {"request": "watch", "id": MOUNTPOINT_ID}
        await self._post(f"{self._session_url}/{handle}", {"janus": "message", "body": body})
        return handle, await offer

    async def start(self, handle: int, answer_sdp: str) -> None:
        await self._post(
            f"{self._session_url}/{handle}",
            {
                "janus": "message",
                "body": {"request": "start"},
                "jsep": {"type": "answer", "sdp": answer_sdp},
            },
        )

    async def _post(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        message["transaction"] = f"t{next(_transactions)}"
        async with self._http.post(url, json=message) as resp:
            data: dict[str, Any] = await resp.json(content_type=None)
        if data.get("janus") not in ("success", "ack"):
            raise JanusError(f"{message['janus']}: {data}")
        return data

    async def _long_poll(self) -> None:
        # The long poll also keeps the session alive (Janus's session_timeout).
        while True:
            async with self._http.get(self._session_url, params={"maxev": "20"}) as resp:
                events = await resp.json(content_type=None)
            for event in events if isinstance(events, list) else [events]:
                self._dispatch(event)

    def _dispatch(self, event: dict[str, Any]) -> None:
        offer = self._offers.get(int(event.get("sender", 0)))
        if offer is None or offer.done():
            return
        jsep = event.get("jsep")
        error = event.get("plugindata", {}).get("data", {}).get("error")
        if jsep is not None and jsep.get("type") == "offer":
            offer.set_result(str(jsep["sdp"]))
        elif error is not None:
            offer.set_exception(JanusError(str(error)))
