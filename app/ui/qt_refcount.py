"""Does this Qt binding leak references to None?

PySide6-Essentials 6.12.0 drops one reference to ``None`` on every call of
``setObjectName``, ``setText``, ``setToolTip`` and other QString setters. On
Python 3.11, where ``None`` is an ordinary reference-counted object, the count
reaches zero after a few minutes of a live window and the interpreter aborts
("Fatal Python error: none_dealloc"). pyproject.toml excludes that build;
this check finds such a build wherever it comes from (a hand-made venv, a
distribution's package), in ``panggung --self-test``, at the app's start and
in tests/ui/test_qt_refcount.py.

From Python 3.12 on, ``None`` is immortal: its count never moves, so the
check passes there, and rightly so, since the leak cannot kill the process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

# The leak is one reference a call; a few references of caching on the first
# calls are not a leak. Measured after a warm-up, 1,000 calls of a leaking
# method move the count by about 1,000, of a sound one by 0 to 3. The check
# makes few calls: on a leaking build every call brings the abort closer.
LEAK_PER_CALL = 0.1


class _Emitter(QObject):
    changed = Signal(object)
    text = Signal(str)


def _operations() -> tuple[dict[str, Callable[[], object]], tuple[QObject, ...]]:
    """What the app calls many times a minute, and the objects they act on."""
    label, button, window, timer, emitter = QLabel(), QPushButton(), QWidget(), QTimer(), _Emitter()
    emitter.changed.connect(lambda _value: None)
    emitter.text.connect(lambda _value: None)
    ops: dict[str, Callable[[], object]] = {
        "QObject.setObjectName": lambda: label.setObjectName("panggung"),
        "QLabel.setText": lambda: label.setText("panggung"),
        "QWidget.setToolTip": lambda: button.setToolTip("panggung"),
        "QWidget.setWindowTitle": lambda: window.setWindowTitle("panggung"),
        "QWidget.setAccessibleName": lambda: button.setAccessibleName("panggung"),
        "QWidget.setEnabled": lambda: button.setEnabled(True),
        "QObject.setProperty": lambda: label.setProperty("state", "live"),
        "QTimer.start": lambda: timer.start(1000),
        "Signal.emit(None)": lambda: emitter.changed.emit(None),
        "Signal.emit(str)": lambda: emitter.text.emit("panggung"),
    }
    return ops, (label, button, window, timer, emitter)


def none_refcount_drift(calls: int = 200) -> dict[str, int]:
    """How far each operation moves None's reference count over `calls` calls.

    Needs a QApplication. A healthy binding gives about 0 everywhere; a
    leaking one about ``-calls`` for the leaking methods.
    """
    drift: dict[str, int] = {}
    ops, objects = _operations()
    for name, op in ops.items():
        for _ in range(min(calls, 20)):  # warm-up: caches fill on the first calls
            op()
        before = sys.getrefcount(None)
        for _ in range(calls):
            op()
        drift[name] = sys.getrefcount(None) - before
    for obj in objects:
        if isinstance(obj, QTimer):
            obj.stop()  # a running timer must not outlive the check (see main_thread_gc)
    del objects  # kept alive until every operation was measured
    return drift


def leaking(drift: dict[str, int], calls: int) -> dict[str, int]:
    """The operations whose drift is a leak rather than noise."""
    return {name: d for name, d in drift.items() if abs(d) > calls * LEAK_PER_CALL}


def check_none_refcount(calls: int = 200) -> str:
    """Raise RuntimeError naming the leaking calls; else a one-line summary."""
    drift = none_refcount_drift(calls)
    bad = leaking(drift, calls)
    if bad:
        from PySide6 import __version__ as pyside_version

        listed = ", ".join(f"{name} {d:+d}" for name, d in bad.items())
        raise RuntimeError(
            f"PySide6 {pyside_version} leaks references to None ({listed} over {calls} calls): "
            "the app would abort after minutes; install the locked version (make setup)"
        )
    worst = max((abs(d) for d in drift.values()), default=0)
    return f"None refcount steady over {calls} calls of {len(drift)} Qt operations (worst {worst})"
