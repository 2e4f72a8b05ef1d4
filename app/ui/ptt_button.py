"""The big push-to-talk button: hold it (or the push-to-talk key) to talk.

It shows the session's `Talk` state (app/client/talk.py), never its own idea
of it: "LIVE" only while the room hears me, and why not when it cannot.
"""

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

from app.client.talk import Talk
from app.ui import design

IDLE = str(QT_TRANSLATE_NOOP("PttButton", "Hold to talk  ({key})"))
LATCHED_IDLE = str(QT_TRANSLATE_NOOP("PttButton", "Click to talk  ({key})"))
LIVE = str(QT_TRANSLATE_NOOP("PttButton", "● LIVE — you are on air"))
SELF_MUTED = str(QT_TRANSLATE_NOOP("PttButton", "Microphone muted — unmute to talk"))
MOD_MUTED = str(QT_TRANSLATE_NOOP("PttButton", "A moderator muted you"))
WAITING = str(QT_TRANSLATE_NOOP("PttButton", "⏳ Waiting for the floor — keep holding"))

# Palette roles, so that the live state follows the system theme.
LIVE_STYLE = "QPushButton { background: palette(highlight); color: palette(highlighted-text); }"
# Waiting is neither on air nor idle: the theme's mid tone, and a dashed edge.
WAITING_STYLE = "QPushButton { background: palette(mid); border: 2px dashed palette(text); }"


class PttButton(QPushButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Push to talk"))
        self.setMinimumHeight(design.PTT_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.setFont(font)
        # Space belongs to push-to-talk, not to "click the focused button".
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.latched_mode = False
        self.key = "Space"  # as the settings name it
        self.state = Talk.READY
        self.show_state(Talk.READY)

    @property
    def live(self) -> bool:
        return self.state is Talk.LIVE

    def set_key(self, key: str) -> None:
        if key != self.key:
            self.key = key
            self.show_state(self.state)

    def key_label(self) -> str:
        return self.tr("Space") if self.key == "Space" else self.key

    def show_live(self, live: bool) -> None:
        self.show_state(Talk.LIVE if live else Talk.READY)

    def show_state(self, state: Talk) -> None:
        self.state = state
        live = state is Talk.LIVE
        if live:
            text = _tr(LIVE)
            description = self.tr("Live: you are on air.")
        elif state is Talk.WAITING:
            text = _tr(WAITING)
            description = self.tr(
                "Someone else has the floor; you wait in the queue, first pressed first served."
            )
        elif state is Talk.SELF_MUTED:
            text = description = _tr(SELF_MUTED)
        elif state is Talk.MOD_MUTED:
            text = description = _tr(MOD_MUTED)
        else:
            text = _tr(LATCHED_IDLE if self.latched_mode else IDLE).format(key=self.key_label())
            description = self.tr("Hold to talk; the {key} key does the same.").format(
                key=self.key_label()
            )
        self.setText(text)
        self.setStyleSheet(LIVE_STYLE if live else WAITING_STYLE if state is Talk.WAITING else "")
        self.setAccessibleDescription(description)
        self.setEnabled(state in (Talk.READY, Talk.LIVE, Talk.WAITING))


def _tr(text: str) -> str:
    return QCoreApplication.translate("PttButton", text)
