"""Splitting a process's CPU time by thread kind (app/bench/thread_cpu.py)."""

import threading
import time

import psutil
import pytest

from app.bench.thread_cpu import describe, kind_of, thread_cpu, thread_times


def test_kinds_are_told_apart_by_thread_id_and_name() -> None:
    assert kind_of(100, 100, "panggung") == "event loop"
    assert kind_of(100, 101, "threaded-ml") == "PulseAudio client"
    assert kind_of(100, 102, "QXcbEventQueue") == "Qt threads"
    assert kind_of(100, 103, "tokio-rt-worker") == "livekit runtime"
    assert kind_of(100, 104, "panggung") == "PortAudio callback + workers"


def test_a_busy_worker_is_charged_to_its_kind() -> None:
    proc = psutil.Process()
    busy, done, used = threading.Event(), threading.Event(), [0.0]

    def burn() -> None:
        start = time.thread_time()
        while time.thread_time() - start < 0.2:
            pass
        used[0] = time.thread_time() - start
        busy.set()
        done.wait()  # still alive when measured

    worker = threading.Thread(target=burn)
    before = thread_times(proc)
    wall0 = time.monotonic()
    worker.start()
    busy.wait()
    after = thread_times(proc)
    wall = time.monotonic() - wall0
    done.set()
    worker.join()
    shares = thread_cpu(before, after, 100 * used[0] / wall + 1.0, wall)
    # /proc counts in clock ticks (10 ms).
    assert shares["PortAudio callback + workers"] == pytest.approx(
        100 * used[0] / wall, abs=100 * 0.03 / wall
    )


def test_time_not_in_a_live_thread_went_to_threads_that_ended() -> None:
    before = {1: ("event loop", 1.0), 2: ("PulseAudio client", 0.5)}
    after = {1: ("event loop", 1.5), 2: ("PulseAudio client", 0.6)}
    shares = thread_cpu(before, after, total=70.0, wall=1.0)
    assert shares == pytest.approx(
        {"event loop": 50.0, "PulseAudio client": 10.0, "threads that ended": 10.0}
    )
    assert describe({"a": 0.01, "b": 2.0, "c": 1.0}) == "b 2.0 %, c 1.0 %"
