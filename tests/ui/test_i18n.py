"""Bahasa Indonesia: the catalogue covers every string in app/ui, the
compiled .qm matches it, and the window really shows Indonesian."""

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from app.client.app_settings import Settings
from app.client.app_state import Phase
from app.server.app import RunningServer
from app.ui import i18n
from app.ui.first_run import FirstRunDialog
from app.ui.settings_dialog import SettingsDialog
from app.ui.shell import DesktopShell
from app.ui.tray import Tray
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "panggung_id.ts"
QM = ROOT / "resources" / "translations" / "panggung_id.qm"
TOOLS = Path(sys.executable).parent


@pytest.fixture
def indonesian(qapp: QApplication) -> Iterator[None]:
    assert i18n.install_translator(qapp, "id") == "id"
    try:
        yield
    finally:
        # The QApplication is shared by the tests of this worker.
        assert i18n.install_translator(qapp, "en") == "en"


def test_language_choice_falls_back_to_the_system_then_english() -> None:
    english, indonesian, french = QLocale("en_GB"), QLocale("id_ID"), QLocale("fr_FR")
    assert i18n.resolve_language("id", english) == "id"
    assert i18n.resolve_language("id_ID", english) == "id"
    assert i18n.resolve_language("en", indonesian) == "en"
    assert i18n.resolve_language(None, indonesian) == "id"
    assert i18n.resolve_language("", indonesian) == "id"
    assert i18n.resolve_language("xx", french) == "en"
    assert i18n.resolve_language(None, french) == "en"
    assert set(i18n.LANGUAGES) == {"en", "id"}


def test_catalogue_is_complete_and_compiled(tmp_path: Path) -> None:
    lupdate, lrelease = TOOLS / "pyside6-lupdate", TOOLS / "pyside6-lrelease"
    if not lupdate.exists() or not lrelease.exists():
        pytest.fail("pyside6-lupdate/lrelease missing from the venv (PySide6 installs them)")
    ts = tmp_path / "panggung_id.ts"
    shutil.copy(TS, ts)
    sources = sorted(str(p) for p in (ROOT / "app" / "ui").glob("*.py"))
    sources.append(str(ROOT / "app" / "client" / "notices.py"))  # the Makefile's TR_SOURCES
    subprocess.run(
        [str(lupdate), "-silent", "-no-obsolete", "-locations", "none", *sources, "-ts", str(ts)],
        check=True,
        cwd=ROOT,
    )
    untranslated = [
        message.findtext("source")
        for message in ET.parse(ts).getroot().iter("message")
        if (message.find("translation") is not None)
        and (message.find("translation").get("type") == "unfinished")  # type: ignore[union-attr]
    ]
    assert not untranslated, (
        f"untranslated (run `make translations`, then translate): {untranslated}"
    )
    qm = tmp_path / "panggung_id.qm"
    subprocess.run([str(lrelease), "-silent", str(TS), "-qm", str(qm)], check=True)
    assert qm.read_bytes() == QM.read_bytes(), "panggung_id.qm is stale: run `make translations`"


def test_indonesian_window_shows_indonesian(
    indonesian: None,
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
) -> None:
    async def scenario() -> None:
        shell = shells(server.url)
        window, session = shell.window, shell.session
        assert window.sign_in.log_in.text() == "&Masuk"
        assert window.sign_in.register.text() == "&Buat akun"
        assert window.sign_in.username.accessibleName() == "Nama pengguna"
        sign_in(shell, "sari", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        directory = window.directory
        assert directory.join.text() == "&Gabung"
        assert directory.create_button.text() == "&Buat ruang…"
        assert "Masuk sebagai <b>sari</b>" in directory.who.text()
        header = directory.table.horizontalHeaderItem(3)
        assert header is not None and header.text() == "Pembicara"

        await create_room(shell, "Malam puisi", "Puisi")
        room = window.room
        assert room.stage.title() == "Panggung (1)"
        assert room.audience.title() == "Pendengar (0)"
        assert room.stage.texts() == ["sari (Anda) · Tuan rumah"]
        assert room.ptt.text() == "Tahan untuk bicara  (Spasi)"
        assert room.mute.text() == "&Bisukan mikrofon"
        assert room.leave.text() == "Ke&luar diam-diam"
        assert room.invite.text() == "Sal&in tautan undangan"
        assert room.reaction_buttons["clap"].accessibleName() == "Reaksi: Tepuk tangan"
        assert room.admin.title() == "Moderasi"
        assert room.admin.approve.text() == "&Setujui tangan"
        assert room.admin.person_buttons["invite"].text() == "Undang ke panggung"

        tray = Tray(shell.controller, window, lambda: None)
        assert tray.quit.text() == "Tutup Panggung"
        assert "Di panggung" in tray.icon.toolTip()
        tray.icon.hide()
        assert tray.accept_invite.text() == "Terima undangan ke panggung"
        assert tray.decline_invite.text() == "Tolak undangan"

        menu = window.menuBar().actions()[0]
        assert menu.text() == "&Panggung"
        assert window.settings_action.text() == "&Pengaturan…"
        dialog = SettingsDialog(Settings(), None, window)
        try:
            assert dialog.windowTitle() == "Pengaturan Panggung"
            assert dialog.accessibleName() == "Pengaturan"
            assert dialog.input.accessibleName() == "Mikrofon"
            assert dialog.output.accessibleName() == "Pengeras suara"
            assert dialog.input.itemText(0) == "Bawaan sistem"
            assert dialog.hear_yourself.text() == "&Dengarkan suara sendiri (uji mikrofon)"
            assert dialog.mode.itemText(0) == "Tahan tombol untuk bicara"
            assert dialog.ptt_key.accessibleName() == "Tombol tekan-untuk-bicara"
            assert dialog.start_minimised.text() == "Mulai diperkecil ke baki sist&em"
            assert dialog.remote.text() == "&Sambung ke URL server:"
            assert dialog.server_url.accessibleName() == "URL server"
            assert "Tidak ada perangkat suara" in dialog.no_devices.text()
        finally:
            dialog.deleteLater()
        first_run = FirstRunDialog(window)
        try:
            assert first_run.windowTitle() == "Selamat datang di Panggung"
            assert first_run.embedded.accessibleName() == "Jadi tuan rumah di komputer ini"
        finally:
            first_run.deleteLater()

    run(scenario())
