"""The moderators' panel, shown only to the host and co-hosts.

Hand queue (approve/deny), actions on one person (chosen in a list), and
room-wide switches. Destructive actions ask first through `confirm`, which
tests replace; refusals come back from the server as error messages.
"""

from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.protocol.model import Action, Role
from app.protocol.requests import (
    MAX_TURN,
    MIN_TURN,
    ApproveHand,
    Ban,
    DenyHand,
    EndRoom,
    InviteToStage,
    MakeCohost,
    MoveToAudience,
    Mute,
    MuteAll,
    PinLink,
    Remove,
    Request,
    SetFloorControl,
    SetHandsEnabled,
    SetLocked,
    SetRecording,
    SetTopic,
    UnmakeCohost,
    Unmute,
)
from app.ui.ban_list_dialog import BanListDialog
from app.ui.controller import SessionController
from app.ui.end_room_dialog import EndRoomDialog
from app.ui.plain_text import isolate

Confirm = Callable[[str], bool]
ROLE_NAMES = {
    Role.HOST: str(QT_TRANSLATE_NOOP("AdminPanel", "host")),
    Role.COHOST: str(QT_TRANSLATE_NOOP("AdminPanel", "co-host")),
    Role.SPEAKER: str(QT_TRANSLATE_NOOP("AdminPanel", "speaker")),
    Role.LISTENER: str(QT_TRANSLATE_NOOP("AdminPanel", "listener")),
}
PersonAction = Callable[[int], Request]


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


class AdminPanel(QGroupBox):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Moderation"))
        self.setAccessibleName(self.tr("Moderation panel"))
        self._controller = controller
        self.confirm: Confirm = self._ask
        self._picked: tuple[int, str] | None = None

        self.queue = QListWidget()
        self.queue.setAccessibleName(self.tr("Hand queue"))
        self.approve = _button(self.tr("&Approve hand"), self.tr("Approve hand"))
        self.deny = _button(self.tr("&Deny hand"), self.tr("Deny hand"))

        self.person = QComboBox()
        self.person.setAccessibleName(self.tr("Person to act on"))
        self.person_buttons: dict[str, QPushButton] = {}
        person_actions: list[tuple[str, str, PersonAction, str | None]] = [
            (self.tr("Invite to stage"), "invite", lambda u: InviteToStage(user_id=u), None),
            (self.tr("Move to audience"), "move", lambda u: MoveToAudience(user_id=u), None),
            (self.tr("Mute"), "mute", lambda u: Mute(user_id=u), None),
            (self.tr("Unmute"), "unmute", lambda u: Unmute(user_id=u), None),
            (self.tr("Make co-host"), "cohost", lambda u: MakeCohost(user_id=u), None),
            (self.tr("Remove co-host"), "uncohost", lambda u: UnmakeCohost(user_id=u), None),
            (
                self.tr("Remove"),
                "remove",
                lambda u: Remove(user_id=u),
                self.tr("Remove {name} from the room?"),
            ),
            (
                self.tr("Ban"),
                "ban",
                lambda u: Ban(user_id=u),
                self.tr("Ban {name}? They cannot come back to this room."),
            ),
        ]
        for text, key, make, question in person_actions:
            button = _button(text, text)
            button.clicked.connect(lambda _=False, m=make, q=question: self._on_person(m, q))
            self.person_buttons[key] = button

        self.mute_all = _button(self.tr("M&ute all"), self.tr("Mute all"))
        self.locked = QCheckBox(self.tr("&Locked (no newcomers)"))
        self.locked.setAccessibleName(self.tr("Lock room"))
        self.hands = QCheckBox(self.tr("&Hands allowed"))
        self.hands.setAccessibleName(self.tr("Allow raised hands"))
        # Floor control: one speaker heard at a time, with an optional longest turn.
        self.floor = QCheckBox(self.tr("One spea&ker at a time"))
        self.floor.setAccessibleName(self.tr("Floor control: one speaker at a time"))
        self.max_turn = QSpinBox()
        self.max_turn.setRange(0, MAX_TURN)
        self.max_turn.setSingleStep(15)
        self.max_turn.setSpecialValueText(self.tr("no limit"))
        self.max_turn.setSuffix(self.tr(" s"))
        self.max_turn.setToolTip(self.tr("Longest turn while others wait (0: no limit)"))
        self.max_turn.setAccessibleName(self.tr("Longest turn while others wait, in seconds"))
        self.topic = QLineEdit()
        self.topic.setAccessibleName(self.tr("New topic"))
        self.set_topic = _button(self.tr("Set &topic"), self.tr("Set topic"))
        self.pin = QLineEdit()
        self.pin.setAccessibleName(self.tr("Link to pin"))
        self.pin.setPlaceholderText(self.tr("https://… (empty unpins)"))
        self.set_pin = _button(self.tr("Pi&n link"), self.tr("Pin link"))
        self.end = _button(self.tr("&End room"), self.tr("End room"))
        self.record = _button(self.tr("Start re&cording"), self.tr("Start recording"))
        self.record.setToolTip(self.tr("Record what the audience hears, on the server"))
        self.bans_button = _button(self.tr("&Bans…"), self.tr("Ban list"))
        self.bans_button.setToolTip(self.tr("Who is banned from this room, to unban them"))
        # Each control and the action it asks for: enabled exactly when the
        # server says we may take it (the host's alone are hidden otherwise).
        self.control_actions: dict[QWidget, Action] = {
            self.approve: Action.APPROVE_HAND,
            self.deny: Action.DENY_HAND,
            self.person_buttons["invite"]: Action.INVITE_TO_STAGE,
            self.person_buttons["move"]: Action.MOVE_TO_AUDIENCE,
            self.person_buttons["mute"]: Action.MUTE,
            self.person_buttons["unmute"]: Action.UNMUTE,
            self.person_buttons["cohost"]: Action.MAKE_COHOST,
            self.person_buttons["uncohost"]: Action.UNMAKE_COHOST,
            self.person_buttons["remove"]: Action.REMOVE,
            self.person_buttons["ban"]: Action.BAN,
            self.mute_all: Action.MUTE_ALL,
            self.locked: Action.SET_LOCKED,
            self.hands: Action.SET_HANDS_ENABLED,
            self.floor: Action.SET_FLOOR_CONTROL,
            self.max_turn: Action.SET_FLOOR_CONTROL,
            self.topic: Action.SET_TOPIC,
            self.set_topic: Action.SET_TOPIC,
            self.pin: Action.PIN_LINK,
            self.set_pin: Action.PIN_LINK,
            self.bans_button: Action.LIST_BANS,
            self.record: Action.SET_RECORDING,
            self.end: Action.END_ROOM,
        }
        self._hidden_unless_allowed = (
            self.end,
            self.person_buttons["cohost"],
            self.person_buttons["uncohost"],
        )
        self.ban_dialog: BanListDialog | None = None

        # Compact rows, read left to right and top to bottom, so that the
        # whole panel fits under the stage in the default window (#18 point 3).
        self.queue.setFlow(QListView.Flow.LeftToRight)
        self.queue.setWrapping(False)
        self.queue.setSpacing(2)
        self.queue.setFixedHeight(self.queue.fontMetrics().height() + 16)
        self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.queue.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        hands_label = QLabel(self.tr("Raised hands:"))
        hands_row = QHBoxLayout()
        hands_row.addWidget(hands_label)
        hands_row.addWidget(self.queue, 1)
        hands_row.addWidget(self.approve)
        hands_row.addWidget(self.deny)
        person_row = QHBoxLayout()
        person_row.addWidget(QLabel(self.tr("Person:")))
        person_row.addWidget(self.person, 1)
        for key in ("invite", "move", "mute", "unmute"):
            person_row.addWidget(self.person_buttons[key])
        more_row = QHBoxLayout()
        for key in ("cohost", "uncohost", "remove", "ban"):
            more_row.addWidget(self.person_buttons[key])
        more_row.addStretch()
        # Beside mute-all: both are about who is heard on the stage.
        more_row.addWidget(self.floor)
        more_row.addWidget(self.max_turn)
        more_row.addWidget(self.mute_all)
        text_row = QHBoxLayout()
        text_row.addWidget(self.topic, 1)
        text_row.addWidget(self.set_topic)
        text_row.addWidget(self.pin, 1)
        text_row.addWidget(self.set_pin)
        room_row = QHBoxLayout()
        room_row.addWidget(self.locked)
        room_row.addWidget(self.hands)
        room_row.addStretch()
        room_row.addWidget(self.bans_button)
        room_row.addWidget(self.record)
        room_row.addWidget(self.end)
        self.room_row = room_row
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        for row in (hands_row, person_row, more_row, text_row, room_row):
            layout.addLayout(row)

        act = controller.act
        self.approve.clicked.connect(lambda: self._on_queue(lambda u: ApproveHand(user_id=u)))
        self.deny.clicked.connect(lambda: self._on_queue(lambda u: DenyHand(user_id=u)))
        self.mute_all.clicked.connect(
            lambda: self.confirm(self.tr("Mute everyone on the stage?")) and act(MuteAll())
        )
        self.locked.clicked.connect(lambda on: act(SetLocked(locked=bool(on))))
        self.hands.clicked.connect(lambda on: act(SetHandsEnabled(enabled=bool(on))))
        self.floor.clicked.connect(lambda on: self._set_floor(bool(on)))
        self.max_turn.editingFinished.connect(lambda: self._set_floor(self.floor.isChecked()))
        self.set_topic.clicked.connect(lambda: act(SetTopic(topic=self.topic.text())))
        self.set_pin.clicked.connect(lambda: act(PinLink(url=self.pin.text().strip() or None)))
        self.record.clicked.connect(self._on_record)
        self.bans_button.clicked.connect(self.open_bans)
        self.end.clicked.connect(self._on_end)
        # Replaced by the tests (no modal loops there).
        self.make_end_dialog: Callable[[bool], EndRoomDialog] = lambda invite_only: EndRoomDialog(
            invite_only, self
        )

    def _on_end(self) -> None:
        """A recorded room asks what becomes of its recording; any other, a plain yes or no."""
        model = self._controller.session.model
        if model is None or not model.recording:
            if self.confirm(self.tr("End the room for everyone?")):
                self._controller.act(EndRoom())
            return
        dialog = self.make_end_dialog(model.snapshot.invite_only)
        dialog.accepted.connect(lambda: self._controller.act(EndRoom(replay=dialog.choice())))
        dialog.open()

    def _set_floor(self, on: bool) -> None:
        turn = self.max_turn.value()
        limit = max(MIN_TURN, turn) if on and turn else None
        self._controller.act(SetFloorControl(enabled=on, max_turn=limit))

    def open_bans(self) -> BanListDialog:
        """The ban list (one dialog at a time), read fresh from the server."""
        dialog = self.ban_dialog
        if dialog is None:
            dialog = self.ban_dialog = BanListDialog(self._controller, self)
            dialog.finished.connect(lambda _result: self._bans_closed(dialog))
        self._controller.run(dialog.load())
        dialog.show()
        dialog.raise_()
        return dialog

    def _bans_closed(self, dialog: BanListDialog) -> None:
        if self.ban_dialog is dialog:
            self.ban_dialog = None
        dialog.deleteLater()

    def show_allowed(self) -> None:
        """Enable each control exactly when the server lets us take its action."""
        session = self._controller.session
        for control, action in self.control_actions.items():
            control.setEnabled(session.may(action))
        for control in self._hidden_unless_allowed:
            control.setVisible(session.may(self.control_actions[control]))

    def any_allowed(self) -> bool:
        """Whether the server lets us take any of this panel's actions (a moderator)."""
        session = self._controller.session
        return any(session.may(action) for action in set(self.control_actions.values()))

    def first_control(self) -> QWidget:
        return self.queue

    def refresh(self) -> None:
        session = self._controller.session
        model = session.model
        if model is None:
            return
        self.show_allowed()
        chosen = self.queue.currentItem()
        chosen_id = chosen.data(Qt.ItemDataRole.UserRole) if chosen else None
        self.queue.clear()
        for place, member in enumerate(model.hand_queue(), 1):
            item = QListWidgetItem(f"{place}. {isolate(member.name)}")
            item.setData(Qt.ItemDataRole.UserRole, member.user_id)
            self.queue.addItem(item)
            if member.user_id == chosen_id or (chosen_id is None and place == 1):
                self.queue.setCurrentItem(item)
        current = self.person.currentData()
        self.person.clear()
        for member in model.stage() + model.listeners_shown():
            if member.user_id != session.user_id:
                self.person.addItem(
                    f"{isolate(member.name)} ({_role(member.role)})", member.user_id
                )
        if self._picked is not None and self.person.findData(self._picked[0]) < 0:
            # Someone found in the audience list, whom no event names.
            user_id, name = self._picked
            self.person.addItem(f"{isolate(name)} ({_role(Role.LISTENER)})", user_id)
        if current is not None and (index := self.person.findData(current)) >= 0:
            self.person.setCurrentIndex(index)
        recording = model.recording
        self.record.setText(
            self.tr("Stop re&cording") if recording else self.tr("Start re&cording")
        )
        self.record.setAccessibleName(
            self.tr("Stop recording") if recording else self.tr("Start recording")
        )
        snap = model.snapshot
        self.locked.setChecked(snap.locked)
        self.hands.setChecked(snap.hands_enabled)
        self.floor.setChecked(snap.floor.enabled)
        if not self.max_turn.hasFocus():
            self.max_turn.setValue(round(snap.floor.max_turn or 0))
        if not self.topic.hasFocus():
            self.topic.setText(snap.topic)
        if not self.pin.hasFocus():
            self.pin.setText(snap.pinned_link or "")

    def select_person(self, user_id: int, name: str | None = None) -> None:
        """Choose whom the person buttons act on; `name` for a listener from
        the audience list, who may be in no list of ours."""
        if self.person.findData(user_id) < 0 and name is not None:
            self._picked = (user_id, name)
            self.person.addItem(f"{isolate(name)} ({_role(Role.LISTENER)})", user_id)
        self.person.setCurrentIndex(self.person.findData(user_id))

    def _on_queue(self, make: PersonAction) -> None:
        item = self.queue.currentItem()
        if item is not None:
            self._controller.act(make(int(item.data(Qt.ItemDataRole.UserRole))))

    def _on_person(self, make: PersonAction, question: str | None) -> None:
        user_id = self.person.currentData()
        if user_id is None:
            return
        name = self.person.currentText().rsplit(" (", 1)[0]
        if question is None or self.confirm(question.format(name=name)):
            self._controller.act(make(int(user_id)))

    def _on_record(self) -> None:
        model = self._controller.session.model
        if model is None:
            return
        if model.recording:
            self._controller.act(SetRecording(on=False))  # stopping needs no second thought
        elif self.confirm(
            self.tr("Record this room? Everyone in it will see that it is being recorded.")
        ):
            self._controller.act(SetRecording(on=True))

    def _ask(self, question: str) -> bool:
        return question_box(self, question).exec() == QMessageBox.StandardButton.Yes


def question_box(parent: QWidget, question: str) -> QMessageBox:
    """The confirmation asked before a destructive action; it names people,
    so it shows plain text."""
    box = QMessageBox(QMessageBox.Icon.Question, "Panggung", question, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box


def _role(role: Role) -> str:
    name = ROLE_NAMES.get(role)
    return QCoreApplication.translate("AdminPanel", name) if name else role.value
