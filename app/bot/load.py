"""`panggung-bot load`: many signaling-only listeners in one process, for load.

Each listener is a bare WebSocket (no room model, no audio): it says hello,
resumes a session token, and on command joins a room, reacts, and counts
what the server sends it (frames and bytes per message type). Connections
are spread over several source addresses on 127.0.0.0/8 (`--sources`), so
that ephemeral ports do not run out; run several processes for more than
one process's descriptors (20,000 here, a hard limit).

Driven over stdin/stdout, one command or one JSON answer per line:

    ready   (printed once every listener is signed in)
    join            every listener joins the room at once -> join latencies, and
                    this process's own loop lag meanwhile (how late a 0.1 s timer ran)
    react FRACTION  that share of the listeners each send one reaction
    stats           frames and bytes received since the last `stats`
    drop            close every connection abruptly (a mass departure)
    reconnect       connect and sign in again (then `join` is everyone coming back)
    quit
"""

import argparse
import asyncio
import collections
import itertools
import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from app import loops
from app.protocol import PROTOCOL_VERSION

REACTIONS = ("clap", "heart", "fire", "laugh")
# How long a sign-in keeps coming back to a node that answers `busy`.
SIGN_IN_PATIENCE = 120.0


class _Head(msgspec.Struct, forbid_unknown_fields=False):
    """Just enough of a server message to route and count it."""

    type: str
    id: int | None = None
    code: str | None = None
    retry_after: float | None = None


_head = msgspec.json.Decoder(_Head)


@dataclass
class Counts:
    frames: collections.Counter[str] = field(default_factory=collections.Counter)
    bytes: int = 0


class Listener:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, counts: Counts) -> None:
        self.ws = ws
        self.counts = counts
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[_Head]] = {}
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def call(self, request: dict[str, Any], timeout: float = 120.0) -> _Head:
        rid = next(self._ids)
        future: asyncio.Future[_Head] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = future
        try:
            await self.ws.send_str(json.dumps({**request, "id": rid}))
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiting.pop(rid, None)

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                head = _head.decode(data)
                waiter = self._waiting.get(head.id) if head.id is not None else None
                if head.type in ("ok", "error") and waiter is not None:
                    if not waiter.done():
                        waiter.set_result(head)
                    continue
                self.counts.frames[head.type] += 1
                self.counts.bytes += len(data)
        except (aiohttp.ClientError, OSError):
            pass
        finally:
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("closed"))


def _why_failed(error: BaseException, ws: aiohttp.ClientWebSocketResponse) -> str:
    """The failure and, for a closed connection, how it closed: a close code
    the server sent (1013: fell behind), or none (the transport dropped: a
    heartbeat the server gave up on, a reset)."""
    if not ws.closed:
        return type(error).__name__
    cause = ws.exception()
    how = f"close code {ws.close_code}" if ws.close_code is not None else "no close code"
    return f"{type(error).__name__} ({how}{f', {type(cause).__name__}' if cause else ''})"


@dataclass
class Joined:
    latency: float  # the admitted attempt: sent to answered
    total: float  # from the first attempt, waits for `busy` included
    busy: int
    unavailable: int  # answers `unavailable` (a cluster's room between origins), sent again


class LoopLag:
    """How late this process's loop runs a timer: the lag its own latencies include
    (it shares the cores with the server it measures)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - due))


class LoadBots:
    def __init__(
        self,
        url: str,
        room_id: str,
        sources: list[str],
        seed: int = 0,
        invite_code: str | None = None,
    ) -> None:
        self.url = url
        self.room_id = room_id
        self.invite_code = invite_code
        self.sources = sources
        self.rng = random.Random(seed)
        self.counts = Counts()
        self.listeners: list[Listener] = []
        self.sessions: list[aiohttp.ClientSession] = []
        self.tokens: list[str] = []
        # This process's loop lag during the last `join` (seconds, every 0.1 s).
        self.join_lag: list[float] = []
        # Why joins of the last `join` failed, by exception or error code.
        self.join_failures: collections.Counter[str] = collections.Counter()

    async def connect(self, tokens: list[str], concurrency: int = 64) -> int:
        self.tokens = tokens
        self.sessions = []
        for address in self.sources:
            connector = aiohttp.TCPConnector(limit=0, local_addr=(address, 0))
            self.sessions.append(aiohttp.ClientSession(connector=connector))
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int, token: str) -> Listener | None:
            async with gate:
                try:
                    ws = await self.sessions[i % len(self.sessions)].ws_connect(
                        self.url, max_msg_size=0, autoping=True
                    )
                    listener = Listener(ws, self.counts)
                    await listener.call({"type": "hello", "protocol": PROTOCOL_VERSION})
                    reply = await listener.call({"type": "resume", "token": token})
                    # A node signing thousands in says `busy`: come back when told.
                    deadline = time.monotonic() + SIGN_IN_PATIENCE
                    while reply.code == "busy" and time.monotonic() < deadline:
                        await asyncio.sleep((reply.retry_after or 1.0) * self.rng.uniform(1.0, 1.5))
                        reply = await listener.call({"type": "resume", "token": token})
                except (aiohttp.ClientError, OSError, ConnectionError, TimeoutError):
                    return None
                return listener if reply.type == "ok" else None

        made = await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))
        self.listeners = [m for m in made if m is not None]
        return len(self.listeners)

    async def join(self) -> list[Joined]:
        request: dict[str, Any] = {"type": "join_room", "room_id": self.room_id}
        if self.invite_code is not None:
            request["invite_code"] = self.invite_code

        async def one(listener: Listener) -> Joined | None:
            first = time.monotonic()
            busy = unavailable = 0
            while True:
                sent = time.monotonic()
                try:
                    reply = await listener.call(request)
                except (ConnectionError, TimeoutError) as e:
                    self.join_failures[_why_failed(e, listener.ws)] += 1
                    return None
                if reply.type == "ok":
                    done = time.monotonic()
                    return Joined(done - sent, done - first, busy, unavailable)
                if reply.code == "busy":
                    busy += 1
                elif reply.code == "unavailable":
                    unavailable += 1
                else:
                    self.join_failures[f"{reply.type}: {reply.code}"] += 1
                    return None
                await asyncio.sleep((reply.retry_after or 1.0) * self.rng.uniform(1.0, 1.1))

        self.join_failures.clear()
        lag = LoopLag()
        sampler = asyncio.get_running_loop().create_task(lag.run())
        try:
            joined = await asyncio.gather(*(one(listener) for listener in self.listeners))
        finally:
            sampler.cancel()
        self.join_lag = lag.samples
        return [j for j in joined if j is not None]

    async def react(self, fraction: float) -> int:
        chosen = self.rng.sample(self.listeners, round(len(self.listeners) * fraction))
        await asyncio.gather(
            *(
                listener.ws.send_str(
                    json.dumps({"type": "react", "id": 0, "reaction": self.rng.choice(REACTIONS)})
                )
                for listener in chosen
            ),
            return_exceptions=True,
        )
        return len(chosen)

    def take_stats(self) -> dict[str, Any]:
        counts, self.counts = self.counts, Counts()
        for listener in self.listeners:
            listener.counts = self.counts
        return {"frames": dict(counts.frames), "bytes": counts.bytes}

    async def drop(self) -> None:
        for listener in self.listeners:
            transport = listener.ws._response.connection
            if transport is not None and transport.transport is not None:
                transport.transport.abort()
        await self.close()

    async def close(self) -> None:
        for listener in self.listeners:
            listener.reader.cancel()
        for session in self.sessions:
            await session.close()
        self.listeners = []


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="panggung-bot load",
        description="Many signaling-only listeners in one process, driven over stdin "
        "(join, react FRACTION, stats, drop, quit); answers are JSON lines.",
    )
    parser.add_argument("--server", required=True, help="WebSocket URL")
    parser.add_argument("--join", required=True, metavar="ROOM_ID", help="the room to join")
    parser.add_argument(
        "--tokens", required=True, type=Path, help="file of session tokens, one a line"
    )
    parser.add_argument(
        "--sources",
        default="127.0.0.1",
        help="comma-separated source addresses on 127.0.0.0/8 to spread connections over",
    )
    parser.add_argument(
        "--invite", metavar="CODE", default=None, help="an invite code (invite-only rooms)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--loop",
        choices=loops.CHOICES,
        default=None,
        help=f"event loop: uvloop where installed (auto; also ${loops.ENV}), or asyncio's own",
    )
    return parser.parse_args(argv)


def raise_descriptor_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _say(data: dict[str, Any]) -> None:
    print(json.dumps(data), flush=True)


async def run(args: argparse.Namespace) -> int:
    raise_descriptor_limit()
    tokens = [line.strip() for line in args.tokens.read_text().splitlines() if line.strip()]
    bots = LoadBots(args.server, args.join, args.sources.split(","), args.seed, args.invite)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _say({"ready": await bots.connect(tokens)})
    try:
        while line := (await reader.readline()).decode().strip():
            command, *rest = line.split()
            if command == "join":
                joined = await bots.join()
                _say(
                    {
                        "joined": len(joined),
                        "latency": [j.latency for j in joined],
                        "total": [j.total for j in joined],
                        "busy": sum(j.busy for j in joined),
                        "unavailable": sum(j.unavailable for j in joined),
                        "lag": bots.join_lag,
                        "failed": dict(bots.join_failures),
                    }
                )
            elif command == "react":
                _say({"reacted": await bots.react(float(rest[0]))})
            elif command == "stats":
                _say(bots.take_stats())
            elif command == "drop":
                await bots.drop()
                _say({"dropped": True})
            elif command == "reconnect":
                _say({"ready": await bots.connect(bots.tokens)})
            elif command == "quit":
                break
            else:
                _say({"error": f"unknown command {command!r}"})
    finally:
        await bots.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return loops.run(run(args), args.loop)
