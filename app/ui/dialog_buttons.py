"""Dialog buttons in our catalogue: Qt ships no Bahasa Indonesia for its own
standard buttons (no qtbase_id.qm), so "Cancel" would stay English."""

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QDialogButtonBox, QWidget

Std = QDialogButtonBox.StandardButton
TEXTS = {
    Std.Ok: str(QT_TRANSLATE_NOOP("DialogButtons", "OK")),
    Std.Cancel: str(QT_TRANSLATE_NOOP("DialogButtons", "Cancel")),
    Std.Close: str(QT_TRANSLATE_NOOP("DialogButtons", "Close")),
}


def dialog_buttons(
    buttons: QDialogButtonBox.StandardButton, parent: QWidget | None = None
) -> QDialogButtonBox:
    box = QDialogButtonBox(buttons, parent)
    for which, text in TEXTS.items():
        button = box.button(which)
        if button is not None:
            button.setText(QCoreApplication.translate("DialogButtons", text))
    return box
