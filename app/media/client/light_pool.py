"""Many counting listeners in one process, each packet still decrypted and counted.

A benchmark needs thousands of listeners on two cores shared with the
server. Each `CountingListener` keeps doing its own ICE and DTLS through
aiortc; once connected, the pool takes over reading its socket (aiortc's
reader is paused): every ``period`` it asks epoll which sockets have data
and reads each with one ``recvmmsg``, SRTP-unprotects media in place with
the listener's own libsrtp session (authentication included, so a corrupt,
replayed or mis-keyed packet is rejected and counted), and records
sequence number and arrival time. Arrival is the kernel's receive timestamp
(SO_TIMESTAMPNS), so lateness is measured when the packet reached the
socket, not when the pool got round to it. Everything that is not SRTP
(STUN consent checks, DTLS, RTCP) goes back to aioice's protocol as if
aiortc had read it.

Linux only (recvmmsg, SO_TIMESTAMPNS); `available()` says whether it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import select
import socket
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.media import aiortc_hooks as hooks
from app.media.client.light import CountingListener
from app.media.server.mmsg import MMsgHdr

logger = logging.getLogger(__name__)

SO_TIMESTAMPNS = 35  # Linux (asm-generic); also the control message's type
BATCH = 32  # datagrams read per socket per call
SLOT = 2048
CONTROL = 64  # room for one cmsghdr (16 bytes) + struct timespec (16 bytes)
MSG_DONTWAIT = 0x40
NTP_EPOCH_OFFSET = 2_208_988_800  # the listener counts in aiortc's clock (NTP epoch)


def _load_recvmmsg() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None
    function = getattr(libc, "recvmmsg", None)
    if function is not None:
        function.argtypes = [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_void_p,
        ]
        function.restype = ctypes.c_int
    return function


_RECVMMSG = _load_recvmmsg()
_SRTP = hooks.srtp_calls()


def available() -> bool:
    return _RECVMMSG is not None


@dataclass
class _Adopted:
    listener: CountingListener
    fd: int
    protocol: Any  # aioice's StunProtocol: what is not media goes back to it
    remote: tuple[str, int]
    session: Any
    context: Any


@dataclass
class PoolStats:
    polls: int = 0
    calls: int = 0
    datagrams: int = 0
    media: int = 0
    rejected: int = 0  # SRTP authentication (or replay) failures
    other: int = 0  # handed back to aioice


class ReceivePool:
    def __init__(self, period: float = 0.04) -> None:
        if _RECVMMSG is None:
            raise RuntimeError("recvmmsg is not available here")
        self.period = period
        self.stats = PoolStats()
        self._epoll = select.epoll()
        self._by_fd: dict[int, _Adopted] = {}
        self._task: asyncio.Task[None] | None = None
        # One set of receive buffers, reused for every socket in turn.
        self._data = np.zeros((BATCH, SLOT), np.uint8)
        self._control = np.zeros((BATCH, CONTROL // 8), np.int64)
        self._lengths = np.zeros(BATCH, np.int32)
        self._iovecs = np.zeros((BATCH, 2), np.uint64)
        self._iovecs[:, 0] = self._data.ctypes.data + np.arange(BATCH, dtype=np.uint64) * SLOT
        self._iovecs[:, 1] = SLOT
        self._messages = (MMsgHdr * BATCH)()
        self._message_view = np.ctypeslib.as_array(
            (ctypes.c_uint32 * (BATCH * ctypes.sizeof(MMsgHdr) // 4)).from_address(
                ctypes.addressof(self._messages)
            )
        ).reshape(BATCH, ctypes.sizeof(MMsgHdr) // 4)
        for i in range(BATCH):
            header = self._messages[i].msg_hdr
            header.msg_iov = self._iovecs.ctypes.data + i * 16
            header.msg_iovlen = 1
            header.msg_control = self._control.ctypes.data + i * CONTROL
        ffi = _SRTP.ffi
        base = ffi.cast("char *", ffi.from_buffer(self._data))
        length_base = ffi.cast("int *", ffi.from_buffer(self._lengths))
        self._slot_ptrs = [base + i * SLOT for i in range(BATCH)]
        self._length_ptrs = [length_base + i for i in range(BATCH)]

    def __len__(self) -> int:
        return len(self._by_fd)

    def adopt(self, listener: CountingListener) -> bool:
        """Read ``listener``'s socket from now on (False if it is not connected)."""
        dtls = listener.transport
        if dtls is None or dtls.state != "connected":
            return False
        session = hooks.inbound_srtp(dtls)
        connection = hooks.ice_connection(dtls)
        protocol = None if connection is None else hooks.nominated_protocol(connection)
        route = None if connection is None else hooks.nominated_route(connection)
        if session is None or protocol is None or route is None:
            return False
        transport, remote = route
        sock = transport.get_extra_info("socket")
        if sock is None:
            return False
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
        transport.pause_reading()
        fd = sock.fileno()
        self._by_fd[fd] = _Adopted(
            listener, fd, protocol, remote, session, hooks.srtp_context(session)
        )
        self._epoll.register(fd, select.EPOLLIN)
        return True

    async def adopt_when_connected(self, listener: CountingListener, timeout: float = 60.0) -> bool:
        """Wait for ``listener``'s DTLS handshake, then adopt it at once: until then its
        packets take aiortc's path, which at hundreds of listeners would swamp the
        process and delay its ICE consent answers past the server's patience."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            dtls = listener.transport
            if dtls is not None and dtls.state == "connected":
                return self.adopt(listener)
            if dtls is not None and dtls.state in ("closed", "failed"):
                return False
            await asyncio.sleep(0.05)
        return False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for fd in list(self._by_fd):
            with contextlib.suppress(OSError):
                self._epoll.unregister(fd)
        self._by_fd.clear()
        self._epoll.close()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            deadline += self.period
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            try:
                self.poll()
            except Exception:  # one bad socket must not end the listeners' reading
                logger.exception("receive pool poll failed")

    def poll(self) -> None:
        self.stats.polls += 1
        for fd, _ in self._epoll.poll(0):
            adopted = self._by_fd.get(fd)
            if adopted is None:
                continue
            while self._read(adopted) == BATCH:
                pass

    def _read(self, adopted: _Adopted) -> int:
        control_view = self._message_view
        for i in range(BATCH):
            self._messages[i].msg_hdr.msg_controllen = CONTROL
        n = int(_RECVMMSG(adopted.fd, ctypes.addressof(self._messages), BATCH, MSG_DONTWAIT, None))
        self.stats.calls += 1
        if n <= 0:
            return 0
        self.stats.datagrams += n
        # mmsghdr: msg_len is the 15th 32-bit word (after the 56-byte msghdr).
        lengths = control_view[:n, 14].astype(np.int32)
        data = self._data
        media = []
        for i in range(n):
            size = int(lengths[i])
            first, second = int(data[i, 0]), int(data[i, 1])
            if 127 < first < 192 and not 192 <= second <= 223 and size >= 12:
                media.append(i)
            else:
                self.stats.other += 1
                adopted.protocol.datagram_received(bytes(data[i, :size]), adopted.remote)
        if not media:
            return n
        self._lengths[:n] = lengths
        unprotect, context = _SRTP.unprotect, adopted.context
        record = adopted.listener.record
        control = self._control
        for i in media:
            if unprotect(context, self._slot_ptrs[i], self._length_ptrs[i]):
                self.stats.rejected += 1
                adopted.listener.rejected += 1
                continue
            self.stats.media += 1
            row = data[i]
            seconds, nanoseconds = int(control[i, 2]), int(control[i, 3])
            record(
                (int(row[2]) << 8) | int(row[3]),
                int.from_bytes(row[4:8].tobytes(), "big"),
                (seconds + NTP_EPOCH_OFFSET) * 1000 + nanoseconds // 1_000_000,
                int(self._lengths[i]),
            )
        return n
