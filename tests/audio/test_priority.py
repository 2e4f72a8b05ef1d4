"""The audio threads ask for real-time scheduling, and get what the OS allows."""

import os
import threading

from app.audio.stream import REALTIME_PRIORITY, raise_priority


def test_a_callback_thread_gets_real_time_or_says_what_it_got() -> None:
    seen: list[tuple[str, int, int]] = []

    def callback_thread() -> None:
        got = raise_priority()
        seen.append((got, os.sched_getscheduler(0), os.sched_getparam(0).sched_priority))

    thread = threading.Thread(target=callback_thread)
    thread.start()
    thread.join()
    ((got, policy, priority),) = seen
    if got == "realtime":
        assert (policy, priority) == (os.SCHED_FIFO, REALTIME_PRIORITY)
    else:  # no privilege (a desktop without rtkit's grant): an ordinary thread
        assert got in ("nice", "normal") and policy == os.SCHED_OTHER
    # Only that thread: this one is as it was.
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
