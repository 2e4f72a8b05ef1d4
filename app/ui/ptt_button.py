"""The big push-to-talk button: hold it (or Space) to talk."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

IDLE = "Hold to talk  (Space)"
LATCHED_IDLE = "Click to talk  (Space)"
LIVE = "● LIVE — you are on air"

# Palette roles, so that the live state follows the system theme.
LIVE_STYLE = "QPushButton { background: palette(highlight); color: palette(highlighted-text); }"


class PttButton(QPushButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(IDLE, parent)
        self.setAccessibleName("Push to talk")
        self.setAccessibleDescription("Hold to talk; the Space key does the same.")
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.setFont(font)
        # Space belongs to push-to-talk, not to "click the focused button".
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.latched_mode = False

    def show_live(self, live: bool) -> None:
        self.setText(LIVE if live else (LATCHED_IDLE if self.latched_mode else IDLE))
        self.setStyleSheet(LIVE_STYLE if live else "")
        self.setAccessibleDescription("Live: you are on air." if live else "Not talking.")
