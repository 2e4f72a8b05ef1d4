"""Generated icons: the tray's state icons, and the initials and steady
colour per name that the avatars (app/ui/avatar_delegate.py) are painted with.

Drawn with QPainter at run time so that the app needs no image files; the
tray colours are fixed (they must read on any panel).
"""

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

TRAY_COLOURS = {
    "idle": "#8a8a8a",
    "listening": "#2f7dd1",
    "on_stage": "#2e9d4f",
    "talking": "#d6342c",
    "muted": "#6b6b6b",
}


def initials(name: str) -> str:
    parts = [p for p in name.replace("_", " ").replace(".", " ").replace("-", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[1][0]).upper()


def avatar_colour(name: str) -> QColor:
    """A steady colour per name (the same on every run), dark enough for white text."""
    hue = sum(ord(c) * 31**i for i, c in enumerate(name[:8])) % 360
    return QColor.fromHsl(hue, 110, 105)


def tray_icon(state: str, size: int = 64) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(TRAY_COLOURS.get(state, TRAY_COLOURS["idle"])))
    painter.drawEllipse(QRectF(4, 4, size - 8, size - 8))
    # A microphone: a rounded capsule and a stand.
    painter.setBrush(QColor("white"))
    w = size * 0.22
    painter.drawRoundedRect(QRectF(size / 2 - w / 2, size * 0.2, w, size * 0.38), w / 2, w / 2)
    painter.drawRect(QRectF(size / 2 - 2, size * 0.6, 4, size * 0.14))
    painter.drawRect(QRectF(size * 0.36, size * 0.72, size * 0.28, 4))
    if state == "muted":
        painter.setPen(QPen(QColor("white"), size / 12))
        painter.drawLine(int(size * 0.25), int(size * 0.25), int(size * 0.75), int(size * 0.75))
    painter.end()
    return QIcon(pixmap)
