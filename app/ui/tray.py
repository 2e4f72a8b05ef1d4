"""The system tray: the room's state at a glance, a menu, and notifications.

The icon tells idle / listening / on stage / talking / muted apart, from the
session's one `Talk` state (app/client/talk.py). The window can be closed or
minimised; the tray brings it back, the room keeps playing in between, and
its "Talk" entry opens and closes the microphone with the window hidden.
"""

from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from app.client.app_state import Phase
from app.client.ptt import PttMode
from app.client.talk import Talk
from app.protocol.model import Action
from app.protocol.requests import AcceptInvite, DeclineInvite, LowerHand, RaiseHand
from app.ui.controller import SessionController
from app.ui.icons import tray_icon
from app.ui.plain_text import tooltip

TITLES = {
    "invited": str(QT_TRANSLATE_NOOP("Tray", "Invitation to the stage")),
    "approved": str(QT_TRANSLATE_NOOP("Tray", "Your hand was approved")),
    "ended": str(QT_TRANSLATE_NOOP("Tray", "The room has ended")),
    # Removed, banned, replaced or timed out: the text says which, and where.
    "kicked": str(QT_TRANSLATE_NOOP("Tray", "You are no longer in the room")),
    # A scheduled room we asked to be reminded of: due, live, changed, cancelled.
    "reminder": str(QT_TRANSLATE_NOOP("Tray", "Scheduled room")),
}


class Tray(QObject):
    notified = Signal(str, str)  # title, text: what was shown (tests, logs)

    def __init__(
        self, controller: SessionController, window: QWidget, quit: Callable[[], None]
    ) -> None:
        super().__init__(window)
        self._controller = controller
        self._window = window
        self.icon = QSystemTrayIcon(tray_icon("idle"), self)
        self.state = "idle"
        menu = QMenu(window)
        self.show_hide = QAction(self.tr("Show/hide window"), menu)
        self.mute_playback = QAction(self.tr("Mute playback"), menu, checkable=True)
        self.raise_hand = QAction(self.tr("Raise hand"), menu)
        # Enabled while the moderators' invitation to the stage is open.
        self.accept_invite = QAction(self.tr("Accept invitation to the stage"), menu)
        self.decline_invite = QAction(self.tr("Decline invitation"), menu)
        # A toggle: a menu cannot be held down.
        self.talk = QAction(self.tr("Talk (on air)"), menu, checkable=True)
        self.latch = QAction(self.tr("Push-to-talk latch"), menu, checkable=True)
        self.leave = QAction(self.tr("Leave room"), menu)
        self.quit = QAction(self.tr("Quit Panggung"), menu)
        for action in (
            self.show_hide,
            self.mute_playback,
            self.raise_hand,
            self.accept_invite,
            self.decline_invite,
            self.talk,
            self.latch,
            self.leave,
            self.quit,
        ):
            menu.addAction(action)
        self.menu = menu
        self.icon.setContextMenu(menu)

        session = controller.session
        self.show_hide.triggered.connect(self.toggle_window)
        self.mute_playback.toggled.connect(self._mute_playback)
        self.raise_hand.triggered.connect(self._raise_hand)
        self.accept_invite.triggered.connect(lambda: controller.act(AcceptInvite()))
        self.decline_invite.triggered.connect(lambda: controller.act(DeclineInvite()))
        # triggered, not toggled: refresh() sets the check without acting.
        self.talk.triggered.connect(lambda _on: session.ptt_toggle())
        self.latch.toggled.connect(
            lambda on: session.set_ptt_mode(PttMode.LATCH if on else PttMode.HOLD)
        )
        self.leave.triggered.connect(lambda: controller.run(session.leave()))
        self.quit.triggered.connect(quit)
        self.icon.activated.connect(self._activated)
        for signal in (
            controller.phaseChanged,
            controller.roomChanged,
            controller.pttChanged,
        ):  # not speakingChanged: the tray shows my talk state, not others' levels
            signal.connect(self.refresh)
        controller.noticeRaised.connect(self._notice)
        self.refresh()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def toggle_window(self) -> None:
        if self._window.isVisible():
            self._window.hide()
        else:
            self._window.showNormal()
            self._window.raise_()
            self._window.activateWindow()

    def refresh(self, *_args: object) -> None:
        session = self._controller.session
        me = session.me()
        talk = session.talk()
        if session.phase not in (Phase.IN_ROOM, Phase.RECONNECTING) or me is None:
            state = "idle"
        elif talk is Talk.LIVE:
            state = "talking"  # heard: shown even with the speakers muted
        elif session.audio.playback_muted or talk in (Talk.SELF_MUTED, Talk.MOD_MUTED):
            state = "muted"
        elif session.on_stage:
            state = "on_stage"
        else:
            state = "listening"
        self.talk.setEnabled(talk in (Talk.READY, Talk.LIVE, Talk.WAITING))
        self.talk.setChecked(talk is Talk.LIVE)
        in_room = session.phase is Phase.IN_ROOM
        self.raise_hand.setEnabled(session.may(Action.RAISE_HAND))
        hand_up = me is not None and me.hand_raised_at is not None
        self.raise_hand.setText(self.tr("Lower hand") if hand_up else self.tr("Raise hand"))
        invited = in_room and me is not None and me.invited
        self.accept_invite.setEnabled(invited)
        self.decline_invite.setEnabled(invited)
        self.leave.setEnabled(in_room)
        self.latch.setChecked(session.ptt.mode is PttMode.LATCH)
        label = {
            "idle": self.tr("Not in a room"),
            "listening": self.tr("Listening"),
            "on_stage": self.tr("On stage"),
            "talking": self.tr("Talking"),
            "muted": self.tr("Muted"),
        }[state]
        model = session.model
        # The title is another user's text: shown literally (ux, #18 point 5).
        title = f"Panggung — {label}" + (f": {model.snapshot.title}" if model else "")
        if session.media_stalled:  # the room's audio stopped reaching our server
            title += "\n" + self.tr("Audio interrupted — reconnecting…")
        self.icon.setToolTip(tooltip(title))
        if state != self.state:
            self.state = state
            self.icon.setIcon(tray_icon(state))

    def _mute_playback(self, muted: bool) -> None:
        self._controller.session.audio.playback_muted = muted
        self.refresh()

    def _raise_hand(self) -> None:
        me = self._controller.session.me()
        up = me is not None and me.hand_raised_at is not None
        self._controller.act(LowerHand() if up else RaiseHand())

    def _notice(self, kind: str, text: str) -> None:
        source = TITLES.get(kind)
        if source is None:
            return
        title = QCoreApplication.translate("Tray", source)
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        self.notified.emit(title, text)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()
