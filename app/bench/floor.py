"""The per-packet floor on this machine: a bare batched send of the same packets.

Run in the server's process right after its measurement window, paced at the
fan-out's 20 ms tick (caches cool in between, as in the real loop), to the
same number of receiving sockets on 127.0.0.1 (nobody reads them while the
sends are timed, so no wake-ups; drained in between). Two figures, CPU
time of the sending thread per packet (on loopback the kernel's delivery
into the receiving socket is part of the sender's system call):

- ``send``: sendmmsg of ready-made datagrams of the protected packet's
  size, 1,024 per call: what the kernel costs, nothing of ours;
- ``protect_send``: the fan-out's own batch (app.media.server.batch) with
  a real SRTP session per receiver: copy, libsrtp in place, sendmmsg.

The gap between ``protect_send`` and the server's CPU per delivered packet
is everything else in the server process (mixer tick, encode, ICE, DTLS,
RTCP, the event loop); the gap to ``send`` is SRTP and Python.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass

import numpy as np
import pylibsrtp

from app.dsp import FRAME_SECONDS
from app.media.server.batch import SendBatch
from app.media.server.mmsg import MessageArrays, load_sendmmsg, sockaddr
from app.media.server.rtp_clock import RtpClock
from app.media.server.udp_mux import UdpMux

PACE = FRAME_SECONDS  # seconds between rounds, the fan-out's tick

_PROFILES = {
    "SRTP_AEAD_AES_128_GCM": (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28, 16),
    "SRTP_AES128_CM_SHA1_80": (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30, 10),
}


@dataclass(frozen=True)
class Floor:
    receivers: int
    packet_bytes: int  # the RTP packet before protection
    profile: str
    send_us: float
    protect_send_us: float


@dataclass
class _Sink:
    session: pylibsrtp.Session
    addr: tuple[str, int]


def _drain(receivers: list[socket.socket]) -> None:
    for sock in receivers:
        try:
            while True:
                sock.recv(4096)
        except BlockingIOError:
            pass


async def measure(
    receivers: int, packet_bytes: int, profile: str = "SRTP_AEAD_AES_128_GCM", rounds: int = 50
) -> Floor:
    srtp_profile, key_length, tag = _PROFILES[profile]
    call = load_sendmmsg()
    if call is None:
        raise RuntimeError("no sendmmsg here: the floor is for Linux")
    mux = UdpMux.open(("127.0.0.1",))
    endpoint = mux.endpoints[0]
    sockets = []
    try:
        for _ in range(receivers):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            sockets.append(sock)
        addrs = [s.getsockname() for s in sockets]

        # Bare sendmmsg of datagrams of the protected size.
        size = packet_bytes + tag
        stride = 256 if size <= 256 else size
        slots = np.frombuffer(os.urandom(receivers * stride), np.uint8).reshape(receivers, stride)
        slots = slots.copy()
        messages = MessageArrays(receivers)
        messages.point_at(slots.ctypes.data, stride)
        for i, addr in enumerate(addrs):
            messages.set_address(i, sockaddr(socket.AF_INET, addr))
        messages.lengths[:] = size
        spent = 0.0
        for _ in range(rounds):
            await asyncio.sleep(PACE)  # as the fan-out: caches cool between ticks
            start = time.thread_time()
            sent, error = messages.send(call, endpoint.fd, 0, receivers)
            spent += time.thread_time() - start
            if sent != receivers:
                raise RuntimeError(f"the bare send stopped at {sent}/{receivers} (errno {error})")
            _drain(sockets)
        send_us = spent / (rounds * receivers) * 1e6

        # The fan-out's batch: real SRTP in place, then the same sendmmsg.
        batch = SendBatch(endpoint, call)
        for addr in addrs:
            policy = pylibsrtp.Policy(
                key=os.urandom(key_length),
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                srtp_profile=srtp_profile,
            )
            batch.add(_Sink(pylibsrtp.Session(policy), addr))
        clock = RtpClock()
        payload = os.urandom(packet_bytes - 12)
        spent = 0.0
        for _ in range(rounds):
            await asyncio.sleep(PACE)
            clock.advance()
            packet = clock.header(111) + payload
            start = time.thread_time()
            batch.send(packet)
            spent += time.thread_time() - start
            _drain(sockets)
        protect_send_us = spent / (rounds * receivers) * 1e6
    finally:
        for sock in sockets:
            sock.close()
        await mux.close()
    return Floor(receivers, packet_bytes, profile, send_us, protect_send_us)
