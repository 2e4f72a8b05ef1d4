"""`panggung --self-test` from source, the packaged entry point, and the icons."""

import importlib.util
import os
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from app import __version__
from app.selftest import CHECKS

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"


def entry_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("panggung_entry", ROOT / "packaging" / "entry.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_self_test_from_source_checks_everything_without_a_screen() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run(
        [sys.executable, "-m", "app.selftest"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"panggung {__version__} self-test (from source")
    assert [line[:5] for line in lines[1:-1]] == ["ok   "] * len(CHECKS), done.stdout
    assert "on 'offscreen'" in lines[1]
    assert lines[-1] == f"self-test passed: {len(CHECKS)} checks"


def test_entry_point_answers_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry_module().main(["--version"]) == 0
    assert capsys.readouterr().out == f"panggung {__version__}\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128, 256, 512])
def test_hicolor_icons(size: int) -> None:
    assert png_size(ICONS / "hicolor" / f"{size}x{size}" / "apps" / "panggung.png") == (size, size)


def test_ico_and_icns_hold_the_sizes_each_os_wants() -> None:
    ico = (ICONS / "panggung.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (ICONS / "panggung.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
    kinds, at = set(), 8
    while at < len(icns):
        kinds.add(icns[at : at + 4])
        at += struct.unpack(">I", icns[at + 4 : at + 8])[0]
    assert {b"ic07", b"ic08", b"ic09", b"ic13", b"ic14"} <= kinds
