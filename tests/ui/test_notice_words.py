"""The session's notices reach the person in their language, naming the room
and who acted; Qt's own dialog buttons too; the first-run dialog refuses
what is not a server URL (issue 18, point 7)."""

import re
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.client.notices import TEXTS, notice
from app.ui import i18n
from app.ui.create_room_dialog import CreateRoomDialog
from app.ui.first_run import FirstRunDialog
from app.ui.notice_text import notice_text
from app.ui.tray import TITLES


@pytest.fixture
def indonesian(qapp: QApplication) -> Iterator[None]:
    assert i18n.install_translator(qapp, "id") == "id"
    try:
        yield
    finally:
        assert i18n.install_translator(qapp, "en") == "en"


def test_every_notice_is_translated_with_the_same_parameters(indonesian: None) -> None:
    for code, english in TEXTS.items():
        params = {name: f"<{name}>" for name in re.findall(r"{(\w+)}", english)}
        said = notice_text(notice("info", code, **params))
        assert said != english, f"{code} is not translated"
        assert all(f"<{name}>" in said for name in params if name != "who"), code


def test_who_and_where_in_indonesian(indonesian: None) -> None:
    removed = notice("kicked", "kicked_removed", room="Balai warga")
    assert notice_text(removed) == "Moderator mengeluarkan Anda dari Balai warga."
    approved = notice("approved", "hand_approved", room="Balai warga", who="")
    assert notice_text(approved).startswith("Seorang moderator menyetujui")
    assert notice_text(notice("hand", "hand_raised", room="R", who="citra")).startswith("citra ")


def test_english_stays_english(qapp: QApplication) -> None:
    said = notice("kicked", "kicked_banned", room="Town hall")
    assert notice_text(said) == "A moderator banned you from Town hall." == said.text


def test_a_removal_is_not_titled_as_leaving() -> None:
    assert TITLES["kicked"] != "You left the room"
    assert "left" not in TITLES["kicked"]


def test_dialog_buttons_are_ours(indonesian: None) -> None:
    for dialog in (FirstRunDialog(), CreateRoomDialog()):
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel is not None and cancel.text() == "Batal"
        dialog.deleteLater()


def test_first_run_refuses_what_is_not_a_url(qapp: QApplication) -> None:
    dialog = FirstRunDialog()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.remote.setChecked(True)
    dialog.url.setText("not a url")
    assert not ok.isEnabled() and dialog.problem.isVisibleTo(dialog)
    assert "ws://" in dialog.problem.text()
    dialog.accept()  # Enter in the field: stays open
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.choice().mode.value == "embedded"
    dialog.url.setText("ws://rooms.example.org:8765/ws")
    assert ok.isEnabled() and not dialog.problem.isVisibleTo(dialog)
    assert dialog.choice().url == "ws://rooms.example.org:8765/ws"
    dialog.deleteLater()
