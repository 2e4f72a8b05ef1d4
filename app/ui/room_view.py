"""The room: topic and pinned link, stage and audience panels, the listener's
and speaker's actions, the push-to-talk button and (for moderators only) the
admin panel. A banner says when the room is locked or the link is down."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.client.app_state import Phase
from app.client.ptt import PttMode
from app.protocol.requests import (
    AcceptInvite,
    DeclineInvite,
    LeaveStage,
    LowerHand,
    RaiseHand,
    SelfMute,
)
from app.ui.admin_panel import AdminPanel
from app.ui.controller import SessionController
from app.ui.people_panel import PeoplePanel
from app.ui.ptt_button import PttButton


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


class RoomView(QWidget):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.title = QLabel()
        self.title.setAccessibleName("Room title")
        self.topic = QLabel()
        self.topic.setAccessibleName("Topic")
        self.topic.setWordWrap(True)
        self.pinned = QLabel()
        self.pinned.setAccessibleName("Pinned link")
        self.pinned.setOpenExternalLinks(True)
        self.banner = QLabel()
        self.banner.setAccessibleName("Room status")
        self.banner.setAutoFillBackground(True)
        self.banner.setForegroundRole(self.banner.foregroundRole().HighlightedText)
        self.banner.setBackgroundRole(self.banner.backgroundRole().Highlight)
        self.banner.hide()

        self.stage = PeoplePanel("Stage")
        self.audience = PeoplePanel("Audience")

        self.hand = _button("Raise &hand", "Raise hand")
        self.accept = _button("&Accept invitation", "Accept invitation to the stage")
        self.decline = _button("Dec&line invitation", "Decline invitation")
        self.leave_stage = _button("Leave &stage", "Leave stage")
        self.mute = _button("&Mute microphone", "Mute microphone")
        self.mute.setCheckable(True)
        self.latch = _button("Latch &mode", "Push-to-talk latch mode")
        self.latch.setCheckable(True)
        self.leave = _button("Leave &quietly", "Leave room")
        self.ptt = PttButton()
        self.admin = AdminPanel(controller)

        header = QVBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.topic)
        header.addWidget(self.pinned)
        header.addWidget(self.banner)
        people = QSplitter(Qt.Orientation.Horizontal)
        people.addWidget(self.stage)
        people.addWidget(self.audience)
        actions = QHBoxLayout()
        for button in (
            self.hand,
            self.accept,
            self.decline,
            self.leave_stage,
            self.mute,
            self.latch,
        ):
            actions.addWidget(button)
        actions.addStretch()
        actions.addWidget(self.leave)
        admin_scroll = QScrollArea()
        admin_scroll.setWidgetResizable(True)
        admin_scroll.setWidget(self.admin)
        self.admin_area = admin_scroll
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(people, 2)
        layout.addLayout(actions)
        layout.addWidget(self.ptt)
        layout.addWidget(admin_scroll, 1)

        session = controller.session
        act = controller.act
        self.hand.clicked.connect(
            lambda: act(LowerHand(id=0) if self._hand_up() else RaiseHand(id=0))
        )
        self.accept.clicked.connect(lambda: act(AcceptInvite(id=0)))
        self.decline.clicked.connect(lambda: act(DeclineInvite(id=0)))
        self.leave_stage.clicked.connect(lambda: act(LeaveStage(id=0)))
        self.mute.clicked.connect(lambda on: act(SelfMute(id=0, muted=bool(on))))
        self.latch.clicked.connect(
            lambda on: session.set_ptt_mode(PttMode.LATCH if on else PttMode.HOLD)
        )
        self.leave.clicked.connect(lambda: controller.run(session.leave()))
        self.ptt.pressed.connect(session.ptt_press)
        self.ptt.released.connect(session.ptt_release)
        controller.roomChanged.connect(self.refresh)
        controller.speakingChanged.connect(self.refresh_people)
        controller.phaseChanged.connect(lambda _phase: self.refresh())
        controller.pttChanged.connect(self._ptt_changed)

    def _hand_up(self) -> bool:
        me = self._controller.session.me()
        return me is not None and me.hand_raised_at is not None

    def _ptt_changed(self, live: bool) -> None:
        session = self._controller.session
        self.ptt.latched_mode = session.ptt.mode is PttMode.LATCH
        self.latch.setChecked(self.ptt.latched_mode)
        self.ptt.show_live(live)

    def refresh(self) -> None:
        session = self._controller.session
        model = session.model
        if model is None:
            return
        snap = model.snapshot
        self.title.setText(f"<h2>{_escape(snap.title)}</h2>")
        self.topic.setText(snap.topic)
        self.topic.setVisible(bool(snap.topic))
        link = snap.pinned_link
        self.pinned.setText(f'📌 <a href="{_escape(link)}">{_escape(link)}</a>' if link else "")
        self.pinned.setVisible(bool(link))
        banners = []
        if session.phase is Phase.RECONNECTING:
            banners.append("Connection lost — reconnecting…")
        if snap.locked:
            banners.append("🔒 The room is locked: no newcomers.")
        if not snap.hands_enabled:
            banners.append("Raising hands is turned off.")
        self.banner.setText("  ".join(banners))
        self.banner.setVisible(bool(banners))

        me = session.me()
        on_stage = session.on_stage
        listener = me is not None and not on_stage
        invited = me is not None and me.invited
        self.hand.setVisible(listener and snap.hands_enabled and not invited)
        hand_up = self._hand_up()
        self.hand.setText("Lower &hand" if hand_up else "Raise &hand")
        self.hand.setAccessibleName("Lower hand" if hand_up else "Raise hand")
        self.accept.setVisible(invited)
        self.decline.setVisible(invited)
        self.leave_stage.setVisible(on_stage)
        self.mute.setVisible(on_stage)
        self.mute.setChecked(me is not None and me.self_muted)
        self.latch.setVisible(on_stage)
        self.ptt.setVisible(on_stage)
        self.ptt.setEnabled(session.can_talk)
        self.admin_area.setVisible(session.is_moderator)
        if session.is_moderator:
            self.admin.refresh()
        self.refresh_people()

    def refresh_people(self) -> None:
        session = self._controller.session
        model = session.model
        if model is None:
            return
        me = session.user_id
        queue = model.hand_queue() if session.is_moderator else None
        self.stage.show_members(model.stage(), me, session.speaking)
        self.audience.show_members(model.audience(), me, session.speaking, queue)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
