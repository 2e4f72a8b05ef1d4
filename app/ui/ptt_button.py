"""The big push-to-talk button: hold it (or the push-to-talk key) to talk."""

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

IDLE = str(QT_TRANSLATE_NOOP("PttButton", "Hold to talk  ({key})"))
LATCHED_IDLE = str(QT_TRANSLATE_NOOP("PttButton", "Click to talk  ({key})"))
LIVE = str(QT_TRANSLATE_NOOP("PttButton", "● LIVE — you are on air"))

# Palette roles, so that the live state follows the system theme.
LIVE_STYLE = "QPushButton { background: palette(highlight); color: palette(highlighted-text); }"


class PttButton(QPushButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Push to talk"))
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.setFont(font)
        # Space belongs to push-to-talk, not to "click the focused button".
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.latched_mode = False
        self.key = "Space"  # as the settings name it
        self._live = False
        self.show_live(False)

    def set_key(self, key: str) -> None:
        if key != self.key:
            self.key = key
            self.show_live(self._live)

    def key_label(self) -> str:
        return self.tr("Space") if self.key == "Space" else self.key

    def show_live(self, live: bool) -> None:
        self._live = live
        idle = LATCHED_IDLE if self.latched_mode else IDLE
        self.setText(_tr(LIVE) if live else _tr(idle).format(key=self.key_label()))
        self.setStyleSheet(LIVE_STYLE if live else "")
        self.setAccessibleDescription(
            self.tr("Live: you are on air.")
            if live
            else self.tr("Hold to talk; the {key} key does the same.").format(key=self.key_label())
        )


def _tr(text: str) -> str:
    return QCoreApplication.translate("PttButton", text)
