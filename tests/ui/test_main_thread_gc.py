"""Cyclic garbage is collected on the Qt thread only: a Python-owned Qt
object in a cycle, collected on another thread (PortAudio's, a worker's),
leaves its timer registered, and Qt delivers the next timer event to freed
memory. The crash is shown first, in a subprocess, so that the test of the
fix is a test of something real."""

import asyncio
import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

from app.ui.main_thread_gc import FULL_EVERY, MainThreadCollector, due

# A cycle holding a running QTimer; a worker thread then allocates enough to
# set off CPython's automatic collection there, while the main thread waits.
SCENARIO = """
import asyncio, sys, threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui.application import AppEventLoop

app = QApplication([])
loop = AppEventLoop(app) if sys.argv[1] == "collector" else None
freed_on = []

class Holder:
    def __init__(self):
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: None)
        self.timer.start()
        self.me = self
    def __del__(self):
        freed_on.append(threading.current_thread().name)

Holder()
def allocate():
    junk = [[i] for i in range(200_000)]
threading.Thread(target=allocate, name="worker").start()
threading.enumerate()[-1].join()
if loop is not None:
    loop.run_until_complete(asyncio.sleep(0.5))
    loop.close()
else:
    import time
    for _ in range(50):
        time.sleep(0.01)
        app.processEvents()
print("freed on", freed_on, flush=True)
"""


def run_scenario(mode: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    return subprocess.run(
        [sys.executable, str(script), mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": "."},
    )


def test_a_qt_timer_collected_on_another_thread_crashes_the_app(tmp_path: Path) -> None:
    bare = run_scenario("bare", tmp_path)
    assert "Timers cannot be stopped from another thread" in bare.stderr, bare.stderr
    assert bare.returncode != 0, bare.stdout  # SIGSEGV once its timer falls due


def test_the_apps_loop_collects_it_on_the_qt_thread(tmp_path: Path) -> None:
    done = run_scenario("collector", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Timers cannot be stopped" not in done.stderr
    assert "freed on ['MainThread']" in done.stdout  # collected, and here


def test_the_rule_follows_cpythons_with_full_collections_held_back() -> None:
    thresholds = (700, 10, 10)
    assert due((700, 0, 0), thresholds, 0.0) is None  # not over yet
    assert due((701, 0, 0), thresholds, 0.0) == 0
    assert due((701, 11, 0), thresholds, 0.0) == 1
    assert due((701, 11, 11), thresholds, 0.0) == 1  # a full one waits...
    assert due((701, 11, 11), thresholds, FULL_EVERY) == 2  # ...for its time
    assert due((10**6, 99, 99), (0, 10, 10), FULL_EVERY) is None  # collection off


class Cyclic:
    def __init__(self) -> None:
        self.me = self


def test_check_collects_cycles_and_stop_gives_collection_back() -> None:
    gc.enable()  # as CPython starts
    collector = MainThreadCollector(interval=3600)
    loop = asyncio.new_event_loop()
    try:
        collector.start(loop)
        assert not gc.isenabled()
        gc.collect()
        cycle = Cyclic()
        alive = weakref.ref(cycle)
        del cycle
        assert collector.check() is None  # nothing made since: not due
        for _ in range(gc.get_threshold()[0] + 1):
            Cyclic()  # each one a cycle: the count grows past the threshold
        assert collector.check() == 0
        assert alive() is None
    finally:
        collector.stop()
        loop.close()
    assert gc.isenabled()
