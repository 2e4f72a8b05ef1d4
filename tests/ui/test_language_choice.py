"""The language is a setting: chosen in the dialog, saved, applied at start."""

from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.client.app_settings import JsonSettingsStore, Settings
from app.ui.i18n import install_translator
from app.ui.settings_dialog import SettingsDialog


def test_the_dialog_offers_each_language_and_saves_the_choice(
    qapp: QApplication, tmp_path: Path
) -> None:
    dialog = SettingsDialog(Settings(), None)
    names = [dialog.language.itemText(i) for i in range(dialog.language.count())]
    assert names == ["System language", "English", "Bahasa Indonesia"]
    assert dialog.chosen().language == ""  # follows the system until chosen
    dialog.language.setCurrentIndex(dialog.language.findData("id"))
    chosen = dialog.chosen()
    assert chosen.language == "id"
    path = tmp_path / "settings.json"
    JsonSettingsStore(path).save(chosen)
    again = SettingsDialog(JsonSettingsStore(path).load(), None)
    assert again.language.currentData() == "id"  # shown as saved
    dialog.deleteLater()
    again.deleteLater()


def test_the_saved_language_is_what_the_app_installs(qapp: QApplication) -> None:
    try:
        assert install_translator(qapp, Settings(language="id").language or None) == "id"
        dialog = SettingsDialog(Settings(language="id"), None)
        assert dialog.windowTitle() != "Panggung settings"  # translated
        assert dialog.language.itemText(0) == "Bahasa sistem"
        dialog.deleteLater()
    finally:
        install_translator(qapp, "en")
