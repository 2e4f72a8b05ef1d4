"""Walking a window with the keyboard, as a user does: Tab from control to
control (real key presses, so that a table that keeps Tab to itself is
caught), and the Alt+letter mnemonics that are live at the same time."""

import itertools
from collections import defaultdict

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMenuBar,
    QWidget,
)


def reachable(window: QWidget) -> list[QWidget]:
    """The controls Tab should reach: shown, enabled, taking focus by Tab."""
    found = []
    for widget in window.findChildren(QWidget):
        if widget.objectName().startswith("qt_") or widget.focusProxy() is not None:
            continue
        if not widget.isVisibleTo(window) or not widget.isEnabled():
            continue
        if widget.window() is not window:
            continue
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus:
            found.append(widget)
    return found


def tab_chain(window: QWidget, start: QWidget, limit: int = 120) -> list[QWidget]:
    """Press Tab from `start` until the focus comes back to it."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    assert QApplication.focusWidget() is start, (start, QApplication.focusWidget())
    chain = [start]
    for _ in range(limit):
        focus = QApplication.focusWidget()
        assert focus is not None, f"focus lost after {chain[-1]!r}"
        QTest.keyClick(focus, Qt.Key.Key_Tab)
        focus = QApplication.focusWidget()
        if focus is start:
            return chain
        if focus in chain:
            raise AssertionError(f"Tab loops without coming back: {names([*chain, focus])}")
        chain.append(focus)  # type: ignore[arg-type]
    raise AssertionError(f"Tab never came back to the start: {names(chain)}")


def name(widget: QWidget) -> str:
    return widget.accessibleName() or type(widget).__name__


def names(widgets: list[QWidget]) -> list[str]:
    return [name(w) for w in widgets]


def out_of_reading_order(window: QWidget, chain: list[QWidget]) -> list[tuple[str, str]]:
    """Steps of the chain that go back up, or back left within a row."""
    wrong = []
    for a, b in itertools.pairwise(chain):
        ra = a.rect().translated(a.mapTo(window, a.rect().topLeft()))
        rb = b.rect().translated(b.mapTo(window, b.rect().topLeft()))
        centre = rb.center().y()
        if centre < ra.top():
            wrong.append((name(a), name(b)))  # back up
        elif centre <= ra.bottom() and rb.left() < ra.left() and rb.bottom() <= ra.bottom():
            wrong.append((name(a), name(b)))  # back left in the same row
    return wrong


def mnemonic_clashes(window: QWidget) -> dict[str, list[str]]:
    """Alt+letter keys that two shown controls of `window` claim."""
    claims: dict[str, list[str]] = defaultdict(list)

    def claim(text: str, who: str) -> None:
        key = QKeySequence.mnemonic(text)
        if not key.isEmpty():
            claims[key.toString()].append(who)

    for widget in [window, *window.findChildren(QWidget)]:
        shown = widget.window() is window and widget.isVisibleTo(window)
        if widget is not window and not shown:
            continue
        if isinstance(widget, QAbstractButton) or (
            isinstance(widget, QLabel) and widget.buddy() is not None
        ):
            claim(widget.text(), widget.text())
        elif isinstance(widget, QGroupBox):
            claim(widget.title(), widget.title())
        elif isinstance(widget, QMenuBar):
            for action in widget.actions():
                if action.isVisible():
                    claim(action.text(), action.text())
    return {key: who for key, who in claims.items() if len(who) > 1}
