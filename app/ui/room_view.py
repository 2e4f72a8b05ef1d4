"""The room: topic and pinned link, stage and audience panels, the listener's
and speaker's actions, reactions, the push-to-talk button and (for
moderators only) the invite link and the admin panel. A banner says when the
room is locked, is being recorded, or the link is down."""

import itertools
import time
from collections.abc import Callable
from typing import get_args

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.client.app_state import Phase
from app.client.ptt import PttMode, PttSource
from app.client.room_model import RoomModel
from app.protocol.links import web_link
from app.protocol.model import Action, Reaction
from app.protocol.requests import (
    AcceptInvite,
    DeclineInvite,
    LeaveStage,
    LowerHand,
    RaiseHand,
    React,
    SelfMute,
)
from app.ui import design
from app.ui.admin_panel import AdminPanel
from app.ui.audience_panel import AudiencePanel
from app.ui.controller import SessionController
from app.ui.notice_bar import Reserved
from app.ui.people_panel import PeoplePanel
from app.ui.plain_text import PlainLabel, isolate, link_html
from app.ui.ptt_button import PttButton
from app.ui.speaker_volume import SpeakerVolumeMenu

# The server's fixed palette, as emoji; the names are for screen readers and tooltips.
REACTIONS: dict[str, tuple[str, str]] = {
    "clap": ("👏", str(QT_TRANSLATE_NOOP("RoomView", "Clap"))),
    "laugh": ("😂", str(QT_TRANSLATE_NOOP("RoomView", "Laugh"))),
    "heart": ("❤️", str(QT_TRANSLATE_NOOP("RoomView", "Heart"))),
    "fire": ("🔥", str(QT_TRANSLATE_NOOP("RoomView", "Fire"))),
    "hundred": ("💯", str(QT_TRANSLATE_NOOP("RoomView", "Hundred"))),
    "raised_hands": ("🙌", str(QT_TRANSLATE_NOOP("RoomView", "Raised hands"))),
    "thinking": ("🤔", str(QT_TRANSLATE_NOOP("RoomView", "Thinking"))),
    "wave": ("👋", str(QT_TRANSLATE_NOOP("RoomView", "Wave"))),
}
assert set(REACTIONS) == set(get_args(Reaction))
# How long an arriving reaction stays on screen, and how many show at once.
REACTION_SHOW_S = 4.0
REACTIONS_SHOWN = 6


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


def badge_chip(text: str, kind: str) -> QLabel:
    chip = QLabel(text)
    chip.setTextFormat(Qt.TextFormat.PlainText)
    chip.setAccessibleName(text)
    colour = design.BADGE_COLOURS[kind]
    chip.setStyleSheet(
        f"QLabel {{ background: {colour}; color: white; border-radius: 9px;"
        f" padding: {design.HEADER_CHIP_PADDING}; font-weight: bold; }}"
    )
    chip.hide()
    return chip


def reaction_name(reaction: str) -> str:
    known = REACTIONS.get(reaction)
    return QCoreApplication.translate("RoomView", known[1]) if known else reaction


class RoomView(QWidget):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.title = PlainLabel(elide=True)
        self.title.setAccessibleName(self.tr("Room title"))
        title_font = self.title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.topic = PlainLabel()
        self.topic.setAccessibleName(self.tr("Topic"))
        self.pinned = QLabel()
        self.pinned.setAccessibleName(self.tr("Pinned link"))
        self.pinned.setOpenExternalLinks(True)
        self.pinned.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.pinned.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.pinned.setTextFormat(Qt.TextFormat.RichText)  # a link, escaped by link_html
        # The room's standing states as chips beside the title; they take
        # space from the (elided) title only, never move a control.
        self.badges = {
            "invite_only": badge_chip(self.tr("Invite only"), "invite_only"),
            "locked": badge_chip(self.tr("Locked"), "locked"),
            "recording": badge_chip(self.tr("● Recording"), "recording"),
            # Past the server's live capacity: the room through HLS, delayed.
            "broadcast": badge_chip(self.tr("Broadcast — a few seconds behind"), "broadcast"),
            # The room's audio stopped reaching our server (an edge relay's notice).
            "stalled": badge_chip(self.tr("Audio interrupted — reconnecting…"), "stalled"),
        }
        self.badges["stalled"].setToolTip(
            self.tr("The room's audio stopped reaching this server; it comes back by itself.")
        )
        self.counts = PlainLabel(elide=True)
        self.counts.setAccessibleName(self.tr("Room counts"))
        self.banner = PlainLabel(elide=True)
        self.banner.setAccessibleName(self.tr("Room status"))
        self.banner.setMargin(6)
        self.banner.setAutoFillBackground(True)
        self.banner.setForegroundRole(self.banner.foregroundRole().HighlightedText)
        self.banner.setBackgroundRole(self.banner.backgroundRole().Highlight)
        self.banner.hide()

        # Moderators: a fresh invite link, copied to the clipboard.
        self.invite = _button(self.tr("Copy &invite link"), self.tr("Copy invite link"))
        self.invite.setToolTip(self.tr("Make a new invite link and copy it to the clipboard"))
        # The same invite as a page any browser opens (app/server/web).
        self.web = _button(self.tr("Copy &web link"), self.tr("Copy web link"))
        self.web.setToolTip(
            self.tr("Make a new invite link for browsers and copy it to the clipboard")
        )
        self.invite_link = QLineEdit()
        self.invite_link.setReadOnly(True)
        self.invite_link.setAccessibleName(self.tr("Invite link"))
        self.invite_link.hide()

        self.stage = PeoplePanel(self.tr("Stage"))
        session = controller.session
        # Per-speaker volume: the stage grid's context menu (speaker_volume.py).
        self.stage_volume = SpeakerVolumeMenu(
            self.stage.people, session.volumes, session.save_settings
        )
        self.audience = AudiencePanel(
            self.tr("Audience"),
            session.list_audience,
            controller.run,
            lambda user_id: session.model.members.get(user_id) if session.model else None,
        )

        self.hand = _button(self.tr("Raise &hand"), self.tr("Raise hand"))
        self.accept = _button(
            self.tr("&Accept invitation"), self.tr("Accept invitation to the stage")
        )
        self.decline = _button(self.tr("Dec&line invitation"), self.tr("Decline invitation"))
        self.leave_stage = _button(self.tr("Leave &stage"), self.tr("Leave stage"))
        self.mute = _button(self.tr("&Mute microphone"), self.tr("Mute microphone"))
        self.mute.setCheckable(True)
        self.latch = _button(self.tr("Latch m&ode"), self.tr("Push-to-talk latch mode"))
        self.latch.setCheckable(True)
        self.leave = _button(self.tr("Leave &quietly"), self.tr("Leave room"))
        self.ptt = PttButton()
        self.admin = AdminPanel(controller)

        # Reactions: a palette to send, and the ones arriving, shown briefly.
        self.reaction_buttons: dict[str, QToolButton] = {}
        reactions = QHBoxLayout()
        label = QLabel(self.tr("&React:"))
        reactions.addWidget(label)
        for key, (emoji, _name) in REACTIONS.items():
            chip = QToolButton()
            chip.setText(emoji)
            translated = reaction_name(key)
            chip.setAccessibleName(self.tr("React: {name}").format(name=translated))
            chip.setToolTip(translated)
            chip.setAutoRaise(True)
            chip.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            font = chip.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            chip.setFont(font)
            chip.clicked.connect(lambda _=False, r=key: self.send_reaction(r))
            self.reaction_buttons[key] = chip
            reactions.addWidget(chip)
        label.setBuddy(next(iter(self.reaction_buttons.values())))
        self.reactions_shown = PlainLabel(elide=True)
        self.reactions_shown.setAccessibleName(self.tr("Reactions"))
        feed_font = self.reactions_shown.font()
        feed_font.setPointSizeF(feed_font.pointSizeF() * 1.2)
        self.reactions_shown.setFont(feed_font)
        reactions.addSpacing(12)
        reactions.addWidget(self.reactions_shown, 1)
        self._recent: list[tuple[float, str, str]] = []  # (when, emoji, who)
        # When reactions fade is measured on this (tests move it on).
        self.clock: Callable[[], float] = time.monotonic
        self._fade = QTimer(self)
        self._fade.setInterval(250)
        self._fade.timeout.connect(self._show_reactions)

        header = QVBoxLayout()
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        for badge in self.badges.values():
            title_row.addWidget(badge)
        title_row.addWidget(self.invite_link, 1)
        title_row.addWidget(self.invite)
        title_row.addWidget(self.web)
        header.addLayout(title_row)
        header.addWidget(self.topic)
        header.addWidget(self.counts)
        # Persistent states and the pin keep a fixed place: nothing below moves
        # when the room is locked or a link is pinned (#18 point 4).
        line = self.banner.fontMetrics().height() + 2 * self.banner.margin() + 2
        header.addWidget(Reserved(self.pinned, line))
        header.addWidget(Reserved(self.banner, line))
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
        # No scrolling: the panel's compact rows fit the default window.
        self.admin_area = self.admin
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(people, 1)
        layout.addLayout(reactions)
        layout.addLayout(actions)
        layout.addWidget(self.ptt)
        layout.addWidget(self.admin)

        self._tab_order()

        session = controller.session
        act = controller.act
        self.hand.clicked.connect(lambda: act(LowerHand() if self._hand_up() else RaiseHand()))
        self.accept.clicked.connect(lambda: act(AcceptInvite()))
        self.decline.clicked.connect(lambda: act(DeclineInvite()))
        self.leave_stage.clicked.connect(lambda: act(LeaveStage()))
        self.mute.clicked.connect(lambda on: act(SelfMute(muted=bool(on))))
        self.latch.clicked.connect(
            lambda on: session.set_ptt_mode(PttMode.LATCH if on else PttMode.HOLD)
        )
        self.leave.clicked.connect(lambda: controller.run(session.leave()))
        self.invite.clicked.connect(lambda: controller.run(self.copy_invite()))
        self.web.clicked.connect(lambda: controller.run(self.copy_invite(web=True)))
        self.ptt.pressed.connect(lambda: session.ptt_press(PttSource.BUTTON))
        self.audience.selected.connect(self.admin.select_person)
        self.ptt.released.connect(lambda: session.ptt_release(PttSource.BUTTON))
        controller.roomChanged.connect(self.refresh)
        controller.speakingChanged.connect(self.show_levels)
        controller.phaseChanged.connect(lambda _phase: self.refresh())
        controller.pttChanged.connect(self._ptt_changed)
        controller.reacted.connect(self.show_reaction)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            # A rich-text link takes its colour when set: show it again in the new theme.
            self.pinned.clear()
            self.refresh()

    def _tab_order(self) -> None:
        """Tab in reading order: header, stage, audience, reactions, actions,
        then the moderation panel (its own order is its layout's)."""
        chain: list[QWidget] = [
            self.invite_link,
            self.invite,
            self.web,
            self.pinned,
            self.stage.people,
            self.audience.search,
            self.audience.everyone,
            self.audience.shown.people,
            *self.reaction_buttons.values(),
            self.hand,
            self.accept,
            self.decline,
            self.leave_stage,
            self.mute,
            self.latch,
            self.leave,
            self.admin.first_control(),
        ]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _hand_up(self) -> bool:
        me = self._controller.session.me()
        return me is not None and me.hand_raised_at is not None

    def _show_talk(self) -> None:
        session = self._controller.session
        self.ptt.show_state(session.talk())  # off while muted: a press would not be heard
        if not session.may(Action.PUSH_TO_TALK):
            self.ptt.setEnabled(False)

    def _ptt_changed(self, live: bool) -> None:
        session = self._controller.session
        self.ptt.latched_mode = session.ptt.mode is PttMode.LATCH
        self.ptt.set_key(session.settings.ptt_key)
        self.latch.setChecked(self.ptt.latched_mode)
        self._show_talk()

    # -- reactions and invites ---------------------------------------------------

    def send_reaction(self, reaction: str) -> None:
        if reaction in REACTIONS:
            self._controller.act(React(reaction=reaction))  # type: ignore[arg-type]

    def show_reaction(self, reaction: str, who: str) -> None:
        emoji = REACTIONS.get(reaction, ("", ""))[0] or reaction
        self._recent = [*self._recent[-(REACTIONS_SHOWN - 1) :], (self.clock(), emoji, who)]
        self._show_reactions()
        self._fade.start()

    def _show_reactions(self) -> None:
        now = self.clock()
        self._recent = [r for r in self._recent if now - r[0] < REACTION_SHOW_S]
        if not self._recent:
            self._fade.stop()
        self.reactions_shown.setText("   ".join(f"{emoji} {who}" for _, emoji, who in self._recent))

    async def copy_invite(self, web: bool = False) -> str | None:
        session = self._controller.session
        link = await session.create_invite()
        if link is None:
            return None
        if web:
            link = web_link(link, secure=session.url.startswith("wss:"))
        self.invite_link.setText(link)
        self.invite_link.show()
        self.invite_link.setCursorPosition(0)
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(link)
        notice = (
            self.tr("Web link copied to the clipboard: {link}")
            if web
            else self.tr("Invite link copied to the clipboard: {link}")
        )
        self._controller.noticeRaised.emit("invite", notice.format(link=link))
        return link

    # -- following the room ------------------------------------------------------

    def refresh(self) -> None:
        session = self._controller.session
        model = session.model
        if model is None:
            self.invite_link.clear()
            self.invite_link.hide()
            self._recent = []
            self.reactions_shown.clear()
            return
        snap = model.snapshot
        self.title.setText(snap.title)
        self.topic.setText(snap.topic)
        self.topic.setVisible(bool(snap.topic))
        link = snap.pinned_link
        self.pinned.setText(f"📌 {link_html(link, link)}" if link else "")
        self.pinned.setToolTip(self.tr("Open the pinned link in the browser") if link else "")
        self.pinned.setVisible(bool(link))
        banners = []
        if session.phase is Phase.RECONNECTING:
            banners.append(self.tr("⚠ Connection lost — reconnecting…"))
        if model.recording:
            # First after the link's state: everyone must be able to tell they are recorded.
            banners.append(self.tr("● This room is being recorded."))
        elif model.recording_failure is not None and session.may(Action.SET_RECORDING):
            # The moderators must learn that the recording they count on stopped.
            banners.append(
                self.tr("⚠ Recording stopped: {reason}").format(reason=model.recording_failure)
            )
        if snap.locked:
            banners.append(self.tr("🔒 The room is locked: no newcomers."))
        if not snap.hands_enabled:
            banners.append(self.tr("Raising hands is turned off."))
        if snap.floor.enabled:
            banners.append(self._floor_text(model))
        self.badges["invite_only"].setVisible(snap.invite_only)
        self.badges["locked"].setVisible(snap.locked)
        self.badges["recording"].setVisible(model.recording)
        self.badges["broadcast"].setVisible(session.broadcast)
        self.badges["stalled"].setVisible(session.media_stalled)
        self.banner.setText("  ".join(banners))
        self.banner.setVisible(bool(banners))

        # Controls follow what the server lets us do (pushed), not a copy of its rules.
        me = session.me()
        on_stage = session.on_stage
        invited = me is not None and me.invited
        listener = me is not None and not on_stage
        self.hand.setVisible(listener and snap.hands_enabled and not invited)
        self.hand.setEnabled(session.may(Action.RAISE_HAND))
        hand_up = self._hand_up()
        self.hand.setText(self.tr("Lower &hand") if hand_up else self.tr("Raise &hand"))
        self.hand.setAccessibleName(self.tr("Lower hand") if hand_up else self.tr("Raise hand"))
        self.accept.setVisible(invited)
        self.accept.setEnabled(session.may(Action.ACCEPT_INVITE))
        self.decline.setVisible(invited)
        self.decline.setEnabled(session.may(Action.DECLINE_INVITE))
        self.leave_stage.setVisible(on_stage)
        self.leave_stage.setEnabled(session.may(Action.LEAVE_STAGE))  # not the host's
        self.mute.setVisible(on_stage)
        self.mute.setEnabled(session.may(Action.SELF_MUTE))
        muted = me is not None and me.self_muted
        self.mute.setChecked(muted)
        self.mute.setText(self.tr("Un&mute microphone") if muted else self.tr("&Mute microphone"))
        self.mute.setAccessibleName(
            self.tr("Unmute microphone") if muted else self.tr("Mute microphone")
        )
        may_talk = session.may(Action.PUSH_TO_TALK)
        self.latch.setVisible(on_stage)
        self.latch.setEnabled(may_talk)
        self.ptt.setVisible(on_stage)
        self.ptt.set_key(session.settings.ptt_key)
        self._show_talk()
        for button in self.reaction_buttons.values():
            button.setEnabled(session.may(Action.REACT))
        may_invite = session.may(Action.ADD_INVITE)
        self.invite.setVisible(may_invite)
        self.web.setVisible(may_invite)
        self.invite.setEnabled(may_invite)
        self.web.setEnabled(may_invite)
        if not may_invite:
            self.invite_link.hide()
        moderating = self.admin.any_allowed()
        self.admin_area.setVisible(moderating)
        if moderating:
            self.admin.refresh()
        else:
            self.admin.show_allowed()
        self.refresh_people()

    def _floor_text(self, model: RoomModel) -> str:
        """Who has the floor and how many wait (floor control is on)."""
        floor = model.floor
        holder = model.members.get(floor.holder) if floor.holder is not None else None
        if holder is None:
            text = self.tr("🎙 One speaker at a time: the floor is free.")
        else:
            text = self.tr("🎙 One speaker at a time: {name} has the floor.").format(
                name=isolate(holder.name)
            )
        if floor.queue:
            text += " " + self.tr("{count} waiting.").format(count=len(floor.queue))
        return text

    def show_levels(self) -> None:
        """Only the rings change while people talk: the rows whose level changed repaint."""
        self.stage.show_levels(self._controller.session.speaking)

    def refresh_people(self) -> None:
        session = self._controller.session
        model = session.model
        if model is None:
            return
        me = session.user_id
        queue = model.hand_queue() if session.may(Action.APPROVE_HAND) else None
        self.stage.show_members(model.stage(), me, session.speaking)
        self.audience.set_moderator(session.may(Action.LIST_AUDIENCE))
        counts = model.audience
        self.counts.setText(
            self.tr("{stage} on stage · {listeners} listening · ✋ {hands}").format(
                stage=len(model.stage()), listeners=counts.listeners, hands=counts.hands
            )
        )
        self.audience.show_room(
            counts.listeners, counts.hands, model.listeners_shown(), me, session.speaking, queue
        )
