"""The Qt binding must not leak references to None (PySide6 6.12.0 does).

On Python 3.11 each lost reference brings the interpreter closer to
"Fatal Python error: none_dealloc", which killed the app after 2.5-4 minutes
on PySide6-Essentials 6.12.0. These tests fail on such a build: the first is
the issue's reproducer as it stands, the second the battery that the
self-test and the app's start run.
"""

import sys

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app.ui.qt_refcount import check_none_refcount, leaking, none_refcount_drift

CALLS = 1000


def test_set_object_name_keeps_none_refcount(qapp: QApplication) -> None:
    obj = QObject()
    obj.setObjectName("warm-up")
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        obj.setObjectName("x")
    assert abs(sys.getrefcount(None) - before) <= 3


def test_no_qt_operation_the_app_uses_leaks_none(qapp: QApplication) -> None:
    drift = none_refcount_drift(200)
    assert leaking(drift, 200) == {}, drift
    assert "QLabel.setText" in drift and "Signal.emit(None)" in drift


def test_check_names_what_leaks() -> None:
    assert leaking({"QLabel.setText": -CALLS, "QTimer.start": 2}, CALLS) == {
        "QLabel.setText": -CALLS
    }


def test_self_test_line(qapp: QApplication) -> None:
    line = check_none_refcount(200)
    assert line.startswith("None refcount steady over 200 calls")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from 3.12")
def test_the_measure_sees_a_real_leak(qapp: QApplication) -> None:
    # A reference dropped on purpose (and given back) must show as drift, or
    # the tests above could pass on a leaking build.
    import ctypes

    decref = ctypes.pythonapi.Py_DecRef
    decref.argtypes = [ctypes.py_object]
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        decref(None)
    dropped = sys.getrefcount(None) - before
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    for _ in range(CALLS):
        incref(None)
    assert dropped == -CALLS
