"""Other people's text, shown as text and never as markup.

Qt guesses: a QLabel, a tooltip or a message box whose text looks like HTML
renders it as HTML. Room titles, topics, names and links come from other
users, so every widget that shows them is told it holds plain text, and
where Qt has no such switch (tooltips, links) the text is escaped. A title
with a right-to-left override is isolated so that it cannot reverse the
words around it, and a long unbroken title cannot widen the window.
"""

import html
import unicodedata

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

# Bidi classes that can reorder the text that follows them.
_BIDI_RISKY = {"R", "AL", "RLE", "RLO", "LRE", "LRO", "RLI", "LRI", "FSI", "PDF", "PDI"}
FSI, PDI = "\u2068", "\u2069"


def isolate(text: str) -> str:
    """`text` as a bidi island when it holds right-to-left text or controls:
    an override in someone's name stops at its end."""
    if any(unicodedata.bidirectional(c) in _BIDI_RISKY for c in text):
        return FSI + text + PDI
    return text


def tooltip(text: str) -> str:
    """A tooltip that shows `text` literally (Qt renders tooltips that look like HTML)."""
    return GuiQt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal) if text else ""


def link_html(url: str, label: str) -> str:
    """A link for a rich-text label, with both the address and its words escaped."""
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'


class PlainLabel(QLabel):
    """A label that shows its text as text. `elide`: one line, cut with "…"
    when narrow (the full text in the tooltip), so it never widens the window;
    otherwise it wraps, and may still be narrower than an unbroken word."""

    def __init__(self, text: str = "", parent: QWidget | None = None, elide: bool = False) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._elide = elide
        if elide:
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        else:
            self.setWordWrap(True)
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(tooltip(text) if self._elide else "")

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(0, hint.height()) if self._elide else hint

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._elide:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(self.margin(), 0, -self.margin(), 0)
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()) | Qt.TextFlag.TextSingleLine, shown)
        painter.end()
