"""A WebSocket server on 127.0.0.1 that answers as a test says, through the real codec.

For client behaviour a real server cannot be made to show on cue (an event
that overtakes the join reply, a snapshot from a moved media plane): the
test's `script` gets each request after sign-in and returns the frames to
send back, pushes and the reply in the order they should arrive.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import msgspec
from aiohttp import WSMsgType, web

from app.protocol import PROTOCOL_VERSION, decode_client, encode
from app.protocol.codec import Envelope
from app.protocol.replies import AnyReplyData, Authenticated, Ok, Welcome
from app.protocol.requests import Hello, Register

Script = Callable[[Envelope], list[msgspec.Struct]]
Handler = Callable[[web.Request], Awaitable[web.WebSocketResponse]]


def reply(envelope: Envelope, data: AnyReplyData | None = None) -> Ok:
    return Ok(id=envelope.id, data=data)


def _greeting(envelope: Envelope) -> list[msgspec.Struct] | None:
    request = envelope.request
    if isinstance(request, Hello):
        welcome = Welcome(protocol=PROTOCOL_VERSION, server="scripted", max_message_bytes=65536)
        return [reply(envelope, welcome)]
    if isinstance(request, Register):
        auth = Authenticated(user_id=2, username=request.username, token="t", expires_at=9e9)
        return [reply(envelope, auth)]
    return None


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """A WebSocket `handler` at /ws on a free port of 127.0.0.1; yields the URL."""
    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        await runner.cleanup()


def scripted_server(script: Script) -> AbstractAsyncContextManager[str]:
    """Serve `script` (after the greeting and sign-in) on a free port; yields the URL."""

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for frame in sock:
            if frame.type is not WSMsgType.TEXT:
                continue
            envelope = decode_client(frame.data)
            for message in _greeting(envelope) or script(envelope):
                await sock.send_str(encode(message).decode())
        return sock

    return serving(ws)
