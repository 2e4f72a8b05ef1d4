"""``sendmmsg(2)`` through ctypes: many datagrams, many destinations, one system call.

Python's socket module has no sendmmsg. The arrays it needs (one
``mmsghdr`` + ``iovec`` + socket address per listener) are prepared once
per listener and slot, so a tick only writes the packet lengths (one numpy
assignment) and makes one call per ``UIO_MAXIOV`` packets. Where the C
library has no sendmmsg (macOS, Windows) `load_sendmmsg` returns None and
the batch falls back to one ``sendto`` per packet (app.media.server.batch).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

UIO_MAXIOV = 1024  # most messages one sendmmsg call takes (Linux)
NAME_STRIDE = 28  # sizeof(struct sockaddr_in6), room for either family


class IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.c_void_p),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", MsgHdr), ("msg_len", ctypes.c_uint)]


SendMmsg = Callable[[int, int, int, int], int]


def load_sendmmsg(library: Any = None) -> SendMmsg | None:
    """libc's sendmmsg as ``f(fd, address of first mmsghdr, count, flags)``, or None.

    ``library``: a ctypes library to look in (default: the C library).
    """
    if library is None:
        if not sys.platform.startswith("linux"):
            return None  # the BSDs have it too, with another struct layout: not tried
        try:
            library = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        except OSError:
            return None
    function = getattr(library, "sendmmsg", None)
    if function is None:
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def sockaddr(family: int, addr: tuple[str, int]) -> bytes:
    """The C ``struct sockaddr_in`` / ``sockaddr_in6`` for ``addr``."""
    host, port = addr[0], addr[1]
    if family == socket.AF_INET:
        return struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), socket.inet_aton(host))
    scope = 0
    if "%" in host:
        host, zone = host.split("%", 1)
        scope = socket.if_nametoindex(zone) if not zone.isdigit() else int(zone)
    packed = socket.inet_pton(socket.AF_INET6, host)
    return struct.pack("=HHI16sI", socket.AF_INET6, socket.htons(port), 0, packed, scope)


class MessageArrays:
    """``capacity`` prepared messages: message i sends slot i of a slot buffer to
    the address set for i."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.names = (ctypes.c_char * (NAME_STRIDE * capacity))()
        self.iovecs = (IoVec * capacity)()
        self.messages = (MMsgHdr * capacity)()
        names, iovecs = ctypes.addressof(self.names), ctypes.addressof(self.iovecs)
        size = ctypes.sizeof(IoVec)
        for i in range(capacity):
            header = self.messages[i].msg_hdr
            header.msg_name = names + i * NAME_STRIDE
            header.msg_iov = iovecs + i * size
            header.msg_iovlen = 1
        # iov_len of every message, as one numpy column: a tick sets them at once.
        raw = np.ctypeslib.as_array(
            (ctypes.c_uint64 * (2 * capacity)).from_address(ctypes.addressof(self.iovecs))
        )
        self.lengths: NDArray[np.uint64] = raw.reshape(capacity, 2)[:, 1]
        self._first = ctypes.addressof(self.messages)
        self._size = ctypes.sizeof(MMsgHdr)

    def point_at(self, base: int, stride: int) -> None:
        """Message i's data starts at ``base + i * stride``."""
        for i in range(self.capacity):
            self.iovecs[i].iov_base = base + i * stride

    def set_address(self, i: int, name: bytes) -> None:
        ctypes.memmove(ctypes.addressof(self.names) + i * NAME_STRIDE, name, len(name))
        self.messages[i].msg_hdr.msg_namelen = len(name)

    def copy_address(self, source: int, target: int) -> None:
        base = ctypes.addressof(self.names)
        ctypes.memmove(base + target * NAME_STRIDE, base + source * NAME_STRIDE, NAME_STRIDE)
        self.messages[target].msg_hdr.msg_namelen = self.messages[source].msg_hdr.msg_namelen

    def send(self, call: SendMmsg, fd: int, start: int, stop: int) -> tuple[int, int]:
        """Send messages [start, stop): (how many the kernel took, errno if it
        stopped early, else 0). Stops at the first refusal."""
        position = start
        while position < stop:
            count = min(UIO_MAXIOV, stop - position)
            sent = call(fd, self._first + position * self._size, count, 0)
            if sent < 0:
                return position - start, ctypes.get_errno() or errno.EIO
            position += sent
            if sent < count:  # the kernel stopped: the next call says why
                continue
        return position - start, 0
