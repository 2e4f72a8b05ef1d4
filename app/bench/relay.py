"""A small UDP relay that loses and delays a speaker's RTP on its way to the server.

This kernel has no ``tc netem``, so loss and jitter are made here: the relay
sits between a client and the server: each side is told only the relay's
address in place of the other's ICE candidate (``rewrite_offer`` for the
client's, ``rewrite_answer`` for the server's), so that no check finds a
direct path. It forwards every datagram both ways and impairs only RTP
from the client: ``Impairment`` drops packets (independently, or in bursts:
a two-state Gilbert-Elliott chain) and delays each one by ``delay_ms`` ± ``jitter_ms`` (uniform, as
netem's ``delay D J`` does; packets may overtake each other). STUN, DTLS and
RTCP pass at once, so the connection itself is never at risk. Traffic stays
on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

Address = tuple[str, int]


@dataclass(frozen=True)
class Impairment:
    loss: float = 0.0  # fraction of RTP packets lost on average
    burst: float = 1.0  # mean length of a run of lost packets (1: independent losses)
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    seed: int = 15

    def describe(self) -> str:
        kind = "random" if self.burst <= 1.0 else f"bursts of {self.burst:g} on average"
        return f"{self.loss:.0%} loss ({kind}), delay {self.delay_ms:g} ms ± {self.jitter_ms:g} ms"


class LossModel:
    """Gilbert-Elliott: in the bad state every packet is lost. With ``burst`` 1
    it reduces to independent losses at rate ``loss``."""

    def __init__(self, loss: float, burst: float, rng: random.Random) -> None:
        if not 0.0 <= loss < 1.0 or burst < 1.0:
            raise ValueError("need 0 <= loss < 1 and burst >= 1")
        self._rng = rng
        self._leave_bad = 1.0 / burst
        # Stationary share of the bad state = loss: p / (p + r) = loss.
        self._enter_bad = loss * self._leave_bad / (1.0 - loss) if loss else 0.0
        self._bad = False

    def lost(self) -> bool:
        if self._bad:
            self._bad = self._rng.random() >= self._leave_bad
        else:
            self._bad = self._rng.random() < self._enter_bad
        return self._bad


def is_rtp(data: bytes) -> bool:
    """RTP, not RTCP (RFC 5761's payload-type split) nor STUN/DTLS (RFC 7983)."""
    return len(data) >= 12 and 128 <= data[0] <= 191 and not 192 <= data[1] <= 223


@dataclass
class RelayStats:
    rtp: int = 0
    dropped: int = 0
    other: int = 0  # STUN, DTLS, RTCP: passed at once
    back: int = 0  # datagrams from the server to the client


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (Python 3.11's selector transport does not subclass DatagramTransport.)
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.on_datagram(data, addr)


class UdpRelay:
    def __init__(self, impairment: Impairment, host: str = "127.0.0.1") -> None:
        self.impairment = impairment
        self.host = host
        self.stats = RelayStats()
        self._rng = random.Random(impairment.seed)
        self._loss = LossModel(impairment.loss, impairment.burst, self._rng)
        self._client: Address | None = None
        self._target: Address | None = None
        self._front: _Side | None = None  # faces the client
        self._back: _Side | None = None  # faces the server
        self._pending: dict[int, asyncio.TimerHandle] = {}  # delayed packets in flight
        self._keys = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> int:
        """Open both sockets; the client-facing port."""
        self._loop = asyncio.get_running_loop()
        _t, self._front = await self._loop.create_datagram_endpoint(
            lambda: _Side(self._from_client), local_addr=(self.host, 0)
        )
        _t, self._back = await self._loop.create_datagram_endpoint(
            lambda: _Side(self._from_server), local_addr=(self.host, 0)
        )
        return self.port

    @staticmethod
    def _port_of(side: _Side | None) -> int:
        assert side is not None and side.transport is not None, "start() first"
        return int(side.transport.get_extra_info("sockname")[1])

    @property
    def port(self) -> int:
        return self._port_of(self._front)

    def set_impairment(self, impairment: Impairment) -> None:
        """Change the conditions from now on (a test's before and after)."""
        self.impairment = impairment
        self._loss = LossModel(impairment.loss, impairment.burst, self._rng)

    def rewrite_offer(self, sdp: str) -> str:
        """The client's offer as the server must see it: the relay's server-facing
        socket in place of the client's candidate."""
        sdp, self._client = self._rewrite(sdp, self._port_of(self._back))
        return sdp

    def rewrite_answer(self, sdp: str) -> str:
        """The server's answer as the client must see it: the relay's
        client-facing socket in place of the server's candidate."""
        sdp, self._target = self._rewrite(sdp, self.port)
        return sdp

    def _rewrite(self, sdp: str, port: int) -> tuple[str, Address]:
        """Keep the first host candidate on ``host``, at ``port``; drop the
        others (any of them would bypass the relay). Its old address."""
        pattern = re.compile(r"^(a=candidate:\S+ 1 udp \d+ )(\S+) (\d+)( typ host.*)$")
        lines, found = [], None
        for line in sdp.splitlines():
            m = pattern.match(line)
            if line.startswith("a=candidate:") and (found or not m or m.group(2) != self.host):
                continue
            if m is not None:
                found = (self.host, int(m.group(3)))
                line = f"{m.group(1)}{self.host} {port}{m.group(4)}"
            lines.append(line)
        if found is None:
            raise ValueError(f"no host candidate on {self.host} in the description")
        return "\r\n".join(lines) + "\r\n", found

    def _from_client(self, data: bytes, addr: Address) -> None:
        self._client = addr
        if self._target is None or self._back is None or self._back.transport is None:
            return
        if not is_rtp(data):
            self.stats.other += 1
            self._back.transport.sendto(data, self._target)
            return
        self.stats.rtp += 1
        if self._loss.lost():
            self.stats.dropped += 1
            return
        imp = self.impairment
        delay = imp.delay_ms + self._rng.uniform(-imp.jitter_ms, imp.jitter_ms)
        if delay <= 0:
            self._back.transport.sendto(data, self._target)
            return
        assert self._loop is not None
        key = next(self._keys)
        self._pending[key] = self._loop.call_later(delay / 1e3, self._send_up, key, data)

    def _send_up(self, key: int, data: bytes) -> None:
        self._pending.pop(key, None)
        if self._target and self._back is not None and self._back.transport is not None:
            self._back.transport.sendto(data, self._target)

    def _from_server(self, data: bytes, _addr: Address) -> None:
        if self._client is not None and self._front is not None and self._front.transport:
            self.stats.back += 1
            self._front.transport.sendto(data, self._client)

    def close(self) -> None:
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()
        for side in (self._front, self._back):
            if side is not None and side.transport is not None:
                side.transport.close()
