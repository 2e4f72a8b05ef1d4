"""Helpers for tests with real aiortc peers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiortc import MediaStreamTrack

from app.media.client.peer import ClientPeer
from app.media.client.tracks import Recorder
from app.media.ice import LOOPBACK_ONLY
from app.media.server.fanout import FanoutStream
from app.media.server.fast_sender import SrtpSink
from app.media.server.peer import ServerPeer
from app.media.server.udp_mux import UdpMux

TIMEOUT = 15.0


class Listener:
    def __init__(self, client: ClientPeer, recorder: Recorder) -> None:
        self.client = client
        self.recorder = recorder

    @classmethod
    async def connect(
        cls, signal: Callable[[str], Awaitable[str]], source: MediaStreamTrack | None = None
    ) -> Listener:
        client = ClientPeer(LOOPBACK_ONLY, source)
        async with asyncio.timeout(TIMEOUT):
            await client.connect(signal)
            recorder = Recorder(await client.remote_track())
        recorder.start()
        return cls(client, recorder)

    async def close(self) -> None:
        await self.recorder.stop()
        await self.client.close()


@dataclass
class Attached:
    server: ServerPeer
    sink: SrtpSink
    listener: Listener

    async def close(self) -> None:
        await self.listener.close()
        await self.server.close()


async def attach_to_stream(stream: FanoutStream, ssrc: int, mux: UdpMux | None = None) -> Attached:
    """A server peer whose sink feeds from ``stream``, and the client listening to it
    (on the shared media sockets ``mux``, else on a socket of its own)."""
    server = ServerPeer(LOOPBACK_ONLY, ssrc, mux=mux)
    listener = await Listener.connect(server.accept)
    async with asyncio.timeout(TIMEOUT):
        sink = await server.connected()
    stream.add(sink)
    return Attached(server, sink, listener)


async def wait_for_frames(listeners: list[Listener], frames: int) -> None:
    """Wait until each listener has recorded at least ``frames`` more frames."""
    targets = [(lst, lst.recorder.frames + frames) for lst in listeners]
    async with asyncio.timeout(TIMEOUT):
        for lst, target in targets:
            await lst.recorder.wait_for(target)
