"""Transient notices in a strip whose height is always reserved.

A notice that appears or goes never moves what is below it (#18 point 4: a
banner that pushed the window down made a click aimed at *Approve hand*
miss). Each notice expires; one that a later event makes untrue (someone's
raised hand, once handled) goes as soon as its `stale` check says so.
"""

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

from app.ui.plain_text import PlainLabel

NOTICE_S = 8.0  # long enough to read two lines
ERROR_S = 15.0


class Reserved(QWidget):
    """Holds `widget` in a fixed height, so its showing and hiding moves nothing."""

    def __init__(self, widget: QWidget, height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(widget)


class NoticeBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = PlainLabel(elide=True)
        self.label.setAccessibleName(self.tr("Message"))
        self.label.setMargin(4)
        self.label.setAutoFillBackground(True)
        self.label.setBackgroundRole(self.label.backgroundRole().ToolTipBase)
        self.label.setForegroundRole(self.label.foregroundRole().ToolTipText)
        self.dismiss = QToolButton()
        self.dismiss.setText("✕")
        self.dismiss.setAccessibleName(self.tr("Dismiss message"))
        self.dismiss.setToolTip(self.tr("Dismiss message"))
        self.dismiss.setAutoRaise(True)
        self.dismiss.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss)
        height = max(self.label.sizeHint().height(), self.dismiss.sizeHint().height())
        self.setFixedHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        for part in (self.label, self.dismiss):  # hidden, they keep their place
            policy = part.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            part.setSizePolicy(policy)
        self.seconds = NOTICE_S  # how long a notice shows unless told
        self._stale: Callable[[], bool] | None = None
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self.clear)
        self.clear()

    def text(self) -> str:
        return self.label.text()

    def showing(self) -> bool:
        return self.label.isVisibleTo(self)

    def show_notice(
        self, text: str, seconds: float | None = None, stale: Callable[[], bool] | None = None
    ) -> None:
        """Show `text` for `seconds`, or until `stale()` is true at a `check()`."""
        self.label.setText(text)
        self.label.setAccessibleDescription(text)
        self.label.show()
        self.dismiss.show()
        self._stale = stale
        self._expiry.start(int((self.seconds if seconds is None else seconds) * 1000))

    def check(self) -> None:
        """Something changed: drop the notice if it no longer holds."""
        if self._stale is not None and self._stale():
            self.clear()

    def clear(self) -> None:
        self._expiry.stop()
        self._stale = None
        self.label.setText("")
        self.label.hide()
        self.dismiss.hide()

    def remaining_ms(self) -> int:
        return self._expiry.remainingTime() if self._expiry.isActive() else 0


def hand_notice_stale(
    raised: Callable[[], dict[int, float]],
) -> Callable[[], bool]:
    """For "X raised a hand": the newest raised hand when the notice came; the
    notice is stale once that hand is down (approved, denied, lowered, gone)."""
    hands = raised()
    if not hands:
        return lambda: True
    newest = max(hands, key=lambda user_id: hands[user_id])
    return lambda: newest not in raised()
