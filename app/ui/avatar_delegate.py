"""Paints one person as a round avatar: initials on a colour derived from the
name, the name beneath (plain text, elided), a role badge, small marks
(muted, hand, invited, reconnecting) and, while they talk, a ring whose
width follows their level.

Every cell has the same size whatever its state, so the grid never moves
when someone starts or stops talking.
"""

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.ui import design
from app.ui.icons import avatar_colour, initials
from app.ui.people_model import BADGE, BADGE_TEXT, LEVEL, MARKS, ME, NAME

Index = QModelIndex | QPersistentModelIndex
# Marks as glyphs DejaVu Sans has (no emoji font needed), on a small disc.
MARK_GLYPHS = {"muted": "✕", "hand": "✋", "invited": "★", "away": "…", "voice": "∿"}
MARK_COLOURS = {
    "muted": design.BADGE_COLOURS["muted"],
    "hand": design.BADGE_COLOURS["hand"],
    "invited": design.BADGE_COLOURS["invited"],
    "away": design.BADGE_COLOURS["locked"],
    "voice": design.BADGE_COLOURS["broadcast"],
}


class AvatarDelegate(QStyledItemDelegate):
    def __init__(self, avatar: int, cell_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.avatar = avatar
        self.cell_width = cell_width

    def margin(self) -> int:
        return design.RING_MAX + design.RING_GAP

    def cell_size(self, font: QFont) -> QSize:
        lines = QFontMetrics(font).height() * 2 + 6
        return QSize(self.cell_width, self.avatar + 2 * self.margin() + lines)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return self.cell_size(option.font)

    def avatar_rect(self, cell: QRect) -> QRectF:
        m = self.margin()
        return QRectF(
            cell.center().x() - self.avatar / 2 + 0.5, cell.top() + m, self.avatar, self.avatar
        )

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        cell: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        font: QFont = option.font
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if state & QStyle.StateFlag.State_Selected:
            painter.setPen(Qt.PenStyle.NoPen)
            selected = QColor(palette.color(QPalette.ColorRole.Highlight))
            selected.setAlphaF(0.25)
            painter.setBrush(selected)
            painter.drawRoundedRect(QRectF(cell).adjusted(1, 1, -1, -1), 8, 8)
        if state & QStyle.StateFlag.State_HasFocus:
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(cell).adjusted(1, 1, -2, -2), 8, 8)

        name = str(index.data(NAME) or "")
        circle = self.avatar_rect(cell)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(avatar_colour(name)))
        painter.drawEllipse(circle)
        big = QFont(font)
        big.setBold(True)
        big.setPixelSize(max(10, self.avatar * 3 // 8))
        painter.setFont(big)
        painter.setPen(QColor("white"))
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, initials(name))

        level = float(index.data(LEVEL) or 0.0)
        if level > 0:
            width = design.RING_MIN + (design.RING_MAX - design.RING_MIN) * level
            gap = design.RING_GAP + width / 2
            painter.setPen(QPen(design.ring_colour(palette), width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(circle.adjusted(-gap, -gap, gap, gap))

        self._paint_marks(painter, circle, list(index.data(MARKS) or []), font)

        text_top = int(circle.bottom()) + self.margin() + 2
        line = QFontMetrics(font).height()
        name_font = QFont(font)
        name_font.setBold(bool(index.data(ME)))
        painter.setFont(name_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name_rect = QRect(cell.left() + 2, text_top, cell.width() - 4, line)
        shown = QFontMetrics(name_font).elidedText(
            name, Qt.TextElideMode.ElideRight, name_rect.width()
        )
        painter.drawText(
            name_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, shown
        )

        badge = str(index.data(BADGE) or "")
        if badge:
            self._paint_badge(
                painter, cell, text_top + line + 2, str(index.data(BADGE_TEXT)), badge, font
            )
        painter.restore()

    def _paint_badge(
        self, painter: QPainter, cell: QRect, top: int, text: str, kind: str, font: QFont
    ) -> None:
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.85)
        small.setBold(True)
        metrics = QFontMetrics(small)
        width = min(cell.width() - 8, metrics.horizontalAdvance(text) + 12)
        chip = QRectF(cell.center().x() - width / 2, top, width, metrics.height() + 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(design.BADGE_COLOURS.get(kind, design.BADGE_COLOURS["locked"])))
        painter.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        painter.setFont(small)
        painter.setPen(QColor("white"))
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width) - 8)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, shown)

    def _paint_marks(
        self, painter: QPainter, circle: QRectF, kinds: list[str], font: QFont
    ) -> None:
        size = max(14.0, self.avatar * 0.36)
        glyph = QFont(font)
        glyph.setPixelSize(int(size * 0.65))
        glyph.setBold(True)
        painter.setFont(glyph)
        for i, kind in enumerate(kinds[:2]):
            # Bottom right, then bottom left, on the avatar's edge.
            x = circle.right() - size + 2 if i == 0 else circle.left() - 2
            disc = QRectF(x, circle.bottom() - size + 2, size, size)
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QColor(MARK_COLOURS.get(kind, design.BADGE_COLOURS["locked"])))
            painter.drawEllipse(disc)
            painter.setPen(QColor("white"))
            painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, MARK_GLYPHS.get(kind, "?"))
