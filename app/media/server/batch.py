"""A stream's listeners on one shared socket: SRTP-protect in place, send in batches.

Per listener ``i`` a batch keeps a fixed slot ``i`` in one buffer (the
packet is copied into every slot with one numpy assignment), that
listener's libsrtp context, and a prepared message to its address. A tick
is then: copy, one libsrtp call per listener (in place, no bytes object),
set all lengths at once, and one ``sendmmsg`` per 1,024 listeners - or, where
sendmmsg does not exist, one ``sendto`` per listener from the same slots.

Nothing is lost silently. When the kernel refuses (a full send buffer,
EAGAIN) the batch sends the rest as soon as the socket is writable; what is
still unsent when the next packet comes is counted as ``dropped``. A
listener whose packet the kernel rejects for its own reason (say, an
unreachable address) or whose SRTP context fails is reported back to the
stream, which drops it; the others are sent regardless.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from app.media import aiortc_hooks as hooks
from app.media.server.mmsg import MessageArrays, SendMmsg, load_sendmmsg, sockaddr
from app.media.server.udp_mux import MuxEndpoint

logger = logging.getLogger(__name__)

_SRTP = hooks.srtp_calls()
_RETRY_LATER = (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS, errno.EINTR)
INITIAL_CAPACITY = 64
_ALIGN = 64


class BatchSink(Protocol):
    """What the batch needs of a listener (fast_sender.SrtpSink)."""

    session: Any  # pylibsrtp.Session: its libsrtp context protects in place
    addr: tuple[str, int]


@dataclass
class BatchStats:
    packets: int = 0  # packets (one per call of `send`)
    sent: int = 0  # datagrams the kernel took
    deferred: int = 0  # refused at first (EAGAIN), sent when the socket was writable
    dropped: int = 0  # still refused when the next packet came, or cut by a removal
    failed: int = 0  # SRTP or per-destination send errors
    send_calls: int = 0  # sendmmsg (or sendto) calls
    waits: int = 0  # times the socket was full


@dataclass
class _Pending:
    start: int
    stop: int
    skip: set[int] = field(default_factory=set)


class SendBatch:
    """Listeners of one stream and payload type on one shared socket."""

    def __init__(
        self, endpoint: MuxEndpoint, sendmmsg: SendMmsg | Literal["auto"] | None = "auto"
    ) -> None:
        """``sendmmsg``: the batched call ("auto": the C library's); None: one
        sendto per listener, as on systems without it."""
        self.endpoint = endpoint
        self._sendmmsg = load_sendmmsg() if sendmmsg == "auto" else sendmmsg
        self.batched = self._sendmmsg is not None
        self.stats = BatchStats()
        self._sinks: list[BatchSink] = []
        self._index: dict[int, int] = {}  # id(sink) -> slot
        self._contexts: list[Any] = []
        self._sessions: list[Any] = []  # keep each Session (and its context) alive
        self._addrs: list[tuple[str, int]] = []
        self._capacity = 0
        self._stride = 0
        self._slots: NDArray[np.uint8] = np.zeros((0, 0), np.uint8)
        self._lengths: NDArray[np.int32] = np.zeros(0, np.int32)
        self._slot_ptrs: list[Any] = []
        self._length_ptrs: list[Any] = []
        self._messages: MessageArrays | None = None
        self._pending: _Pending | None = None
        self._failures: list[tuple[BatchSink, str]] = []  # reported after the send
        self.on_failed: Callable[[BatchSink, str], None] | None = None
        self._allocate(INITIAL_CAPACITY, 256)

    def __len__(self) -> int:
        return len(self._sinks)

    def __contains__(self, sink: object) -> bool:
        return id(sink) in self._index

    @property
    def sinks(self) -> list[BatchSink]:
        return list(self._sinks)

    # -- membership ------------------------------------------------------------

    def add(self, sink: BatchSink) -> None:
        if id(sink) in self._index:
            return
        self._drop_pending()
        i = len(self._sinks)
        if i == self._capacity:
            self._allocate(2 * self._capacity, self._stride)
        self._sinks.append(sink)
        self._index[id(sink)] = i
        self._sessions.append(sink.session)
        self._contexts.append(hooks.srtp_context(sink.session))
        self._addrs.append(sink.addr)
        if self._messages is not None:
            self._messages.set_address(i, sockaddr(self.endpoint.family, sink.addr))

    def remove(self, sink: BatchSink) -> None:
        """Take ``sink`` out (the last listener moves into its slot)."""
        i = self._index.pop(id(sink), None)
        if i is None:
            return
        self._drop_pending()
        last = len(self._sinks) - 1
        if i != last:
            moved = self._sinks[last]
            self._sinks[i] = moved
            self._sessions[i] = self._sessions[last]
            self._contexts[i] = self._contexts[last]
            self._addrs[i] = self._addrs[last]
            self._index[id(moved)] = i
            if self._messages is not None:
                self._messages.copy_address(last, i)
        del self._sinks[last], self._sessions[last], self._contexts[last], self._addrs[last]

    def readdress(self, sink: BatchSink) -> None:
        """``sink.addr`` changed (a new ICE pair on the same socket)."""
        i = self._index.get(id(sink))
        if i is None:
            return
        self._addrs[i] = sink.addr
        if self._messages is not None:
            self._messages.set_address(i, sockaddr(self.endpoint.family, sink.addr))

    # -- sending ----------------------------------------------------------------

    def send(self, packet: bytes, rtcp: bool = False) -> int:
        """Protect ``packet`` for every listener and send it; returns how many the
        kernel took now (the rest, if the socket is full, follows when it drains)."""
        self._drop_pending()
        n = len(self._sinks)
        self.stats.packets += 1
        if n == 0:
            return 0
        size = len(packet)
        trailer = hooks.RTCP_TRAILER if rtcp else hooks.RTP_TRAILER
        if size + trailer > self._stride:
            self._allocate(self._capacity, size + trailer)
        self._slots[:n, :size] = np.frombuffer(packet, np.uint8)
        self._lengths[:n] = size
        protect = _SRTP.protect_rtcp if rtcp else _SRTP.protect
        statuses = list(map(protect, self._contexts, self._slot_ptrs, self._length_ptrs))
        skip: set[int] = set()
        if any(statuses):
            skip = {i for i, status in enumerate(statuses) if status}
            for i in sorted(skip):
                self._fail(i, f"SRTP protect failed (libsrtp status {statuses[i]})")
        taken = self._send_range(_Pending(0, n, skip))
        self._report_failures()
        return taken

    def _send_range(self, pending: _Pending) -> int:
        messages = self._messages
        if messages is not None:
            messages.lengths[pending.start : pending.stop] = self._lengths[
                pending.start : pending.stop
            ]
        taken = 0
        position = pending.start
        while position < pending.stop:
            stop = min([i for i in pending.skip if i >= position], default=pending.stop)
            if stop == position:  # a listener whose packet must not go out
                position += 1
                continue
            sent, error = self._send_slots(position, stop)
            taken += sent
            position += sent
            if error == 0:
                continue
            if error in _RETRY_LATER:
                self._pending = _Pending(position, pending.stop, pending.skip)
                self.stats.waits += 1
                self.endpoint.wait_writable(self._resume)
                break
            self._fail(position, f"send failed: {errno.errorcode.get(error, error)}")
            position += 1
        self.stats.sent += taken
        return taken

    def _send_slots(self, start: int, stop: int) -> tuple[int, int]:
        if self._sendmmsg is not None and self._messages is not None:
            self.stats.send_calls += 1 + (stop - start - 1) // 1024
            return self._messages.send(self._sendmmsg, self.endpoint.fd, start, stop)
        sendto = self.endpoint.sock.sendto
        slots, lengths, addrs = self._slots, self._lengths, self._addrs
        for i in range(start, stop):
            self.stats.send_calls += 1
            try:
                sendto(slots[i, : lengths[i]].data, addrs[i])
            except OSError as exc:
                return i - start, exc.errno or errno.EIO
        return stop - start, 0

    def _resume(self) -> bool:
        pending, self._pending = self._pending, None
        if pending is None:
            return False
        before = self.stats.sent
        self._send_range(pending)
        self.stats.deferred += self.stats.sent - before
        still = self._pending is not None
        self._report_failures()
        return still

    def _drop_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            unsent = (
                pending.stop - pending.start - len({i for i in pending.skip if i >= pending.start})
            )
            self.stats.dropped += unsent
            self.endpoint.cancel_wait(self._resume)
            logger.debug("fan-out: %d packets dropped on a full socket", unsent)

    def _fail(self, i: int, reason: str) -> None:
        self.stats.failed += 1
        self._failures.append((self._sinks[i], reason))

    def _report_failures(self) -> None:
        # Only once the send is over: the owner usually removes the sink, which
        # moves another listener into its slot.
        failures, self._failures = self._failures, []
        if self.on_failed is not None:
            for sink, reason in failures:
                self.on_failed(sink, reason)

    # -- buffers ----------------------------------------------------------------

    def _allocate(self, capacity: int, stride: int) -> None:
        stride = -(-stride // _ALIGN) * _ALIGN
        slots = np.zeros((capacity, stride), np.uint8)
        lengths = np.zeros(capacity, np.int32)
        ffi = _SRTP.ffi
        base = ffi.cast("char *", ffi.from_buffer(slots))
        length_base = ffi.cast("int *", ffi.from_buffer(lengths))
        self._slot_ptrs = [base + i * stride for i in range(capacity)]
        self._length_ptrs = [length_base + i for i in range(capacity)]
        # The pointers above point into these arrays: replace them together.
        self._slots, self._lengths = slots, lengths
        self._capacity, self._stride = capacity, stride
        if self._sendmmsg is not None:
            messages = MessageArrays(capacity)
            messages.point_at(slots.ctypes.data, stride)
            for i, addr in enumerate(self._addrs):
                messages.set_address(i, sockaddr(self.endpoint.family, addr))
            self._messages = messages
