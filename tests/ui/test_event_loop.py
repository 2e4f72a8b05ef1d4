"""AppEventLoop: asyncio work that Qt runs while run_until_complete winds
down still finds its loop (plain qasync clears it first)."""

import asyncio
import socket
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from app.ui.application import AppEventLoop


def steps_after_completion(loop: asyncio.AbstractEventLoop) -> list[str]:
    seen: list[str] = []

    async def late() -> None:
        try:
            asyncio.get_running_loop()
            seen.append("loop")
        except RuntimeError:
            seen.append("no loop")

    def callback() -> None:
        seen.append("callback")
        loop.create_task(late())

    async def main() -> None:
        loop.call_soon(callback)  # due just as main() completes: the last round of Qt events

    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
        loop.run_until_complete(asyncio.sleep(0.01))  # let any leftover step run
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return seen


def test_late_steps_find_the_running_loop(qapp: QApplication) -> None:
    seen = steps_after_completion(AppEventLoop(qapp))
    assert seen == ["callback", "loop"]


def test_plain_qasync_would_lose_it(qapp: QApplication) -> None:
    # Why AppEventLoop exists (when a qasync release fixes this, this test
    # fails: then AppEventLoop can go).
    assert steps_after_completion(qasync.QEventLoop(qapp)) == ["callback", "no loop"]


def test_calls_from_other_threads_run_on_the_loop_in_order(
    qapp: QApplication,
) -> None:
    """call_soon_threadsafe from threads Qt never made (as PortAudio's are):
    every call runs on the loop's thread, in the order made, with its
    context; a cancelled one does not run; a closed loop refuses plainly."""
    import contextvars
    import threading

    loop = AppEventLoop(qapp)
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[tuple[int, int, bool]] = []
    contexts: list[str] = []
    main = threading.get_ident()
    per_thread, threads = 2_000, 4

    def note(worker: int, i: int) -> None:
        seen.append((worker, i, threading.get_ident() == main))

    def feed(worker: int) -> None:
        for i in range(per_thread):
            loop.call_soon_threadsafe(note, worker, i)

    def with_context() -> None:
        ctx = contextvars.copy_context()
        ctx.run(var.set, "theirs")
        loop.call_soon_threadsafe(lambda: contexts.append(var.get()), context=ctx)
        loop.call_soon_threadsafe(note, -1, -1).cancel()

    async def main_task() -> None:
        workers = [threading.Thread(target=feed, args=(w,)) for w in range(threads)]
        workers.append(threading.Thread(target=with_context))
        for worker in workers:
            worker.start()
        for _ in range(1_000):  # bounded: 10 s
            if len(seen) == per_thread * threads and contexts:
                break
            await asyncio.sleep(0.01)
        for worker in workers:
            worker.join(10)

    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main_task())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert len(seen) == per_thread * threads
    assert all(on_main for _w, _i, on_main in seen)
    for worker in range(threads):
        assert [i for w, i, _ in seen if w == worker] == list(range(per_thread))
    assert contexts == ["theirs"]
    try:
        loop.call_soon_threadsafe(print)
    except RuntimeError as exc:
        assert "closed" in str(exc)
    else:
        raise AssertionError("a closed loop took a call")


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, fail_on: bytes) -> None:
        self.got: list[bytes] = []
        self.fail_on = fail_on

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.got.append(data)
        if data == self.fail_on:
            raise RuntimeError("a reader that fails")


def receive(loop: asyncio.AbstractEventLoop, n: int) -> tuple[list[bytes], list[str], int]:
    """``n`` datagrams over 127.0.0.1, one of them making the reader raise:
    what was received, what the exception handler saw, and how many Qt
    timers qasync started meanwhile (one per call_soon), leaving out the
    garbage collector's ticks (AppEventLoop's only, and as many as the
    test's duration allows)."""
    timers = 0
    errors: list[str] = []
    original = type(loop._timer).add_callback  # type: ignore[attr-defined]

    def counting(self: object, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        nonlocal timers
        if getattr(handle._callback, "__name__", "") != "_tick":  # type: ignore[attr-defined]
            timers += 1
        result: asyncio.Handle = original(self, handle, delay)
        return result

    async def main() -> list[bytes]:
        receiver = _Receiver(fail_on=b"3")
        transport, _ = await loop.create_datagram_endpoint(
            lambda: receiver, local_addr=("127.0.0.1", 0)
        )
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            nonlocal timers
            timers = 0
            for i in range(n):
                sender.sendto(str(i).encode(), transport.get_extra_info("sockname"))
                for _ in range(200):  # each datagram on its own, as a stream's packets come
                    if len(receiver.got) > i:
                        break
                    await asyncio.sleep(0.005)
            return receiver.got
        finally:
            sender.close()
            transport.close()

    loop.set_exception_handler(lambda _loop, context: errors.append(str(context["exception"])))
    asyncio.set_event_loop(loop)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(type(loop._timer), "add_callback", counting)  # type: ignore[attr-defined]
            got = loop.run_until_complete(main())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return got, errors, timers


def test_ready_sockets_run_their_reader_at_once(qapp: QApplication) -> None:
    got, errors, timers = receive(AppEventLoop(qapp), 20)
    assert got == [str(i).encode() for i in range(20)]  # all, in order, past the failure
    assert errors == ["a reader that fails"]
    # The test's own sleeps start timers; qasync's path adds one per datagram.
    plain = receive(qasync.QEventLoop(qapp), 20)
    assert plain[0] == got
    assert timers <= plain[2] - 20, (timers, plain[2])


class _ClosesItself(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.got = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.got += 1
        assert self.transport is not None
        self.transport.close()  # removes its reader inside the notifier's own signal


def test_a_reader_removed_by_its_own_callback(qapp: QApplication) -> None:
    # Without keeping the notifier past its signal, Qt returned into a deleted
    # QSocketNotifier (a segmentation fault in the UI tests).
    loop = AppEventLoop(qapp)

    async def main() -> int:
        got = 0
        for _ in range(30):
            transport, protocol = await loop.create_datagram_endpoint(
                _ClosesItself, local_addr=("127.0.0.1", 0)
            )
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(b"x", transport.get_extra_info("sockname"))
                for _ in range(200):
                    if protocol.got:
                        break
                    await asyncio.sleep(0.005)
            await asyncio.sleep(0)
            got += protocol.got
        return got

    asyncio.set_event_loop(loop)
    try:
        assert loop.run_until_complete(main()) == 30
    finally:
        loop.close()
        asyncio.set_event_loop(None)
