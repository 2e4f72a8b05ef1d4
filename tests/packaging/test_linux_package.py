"""The Linux package, built for real with PyInstaller (about a minute on two cores).

Builds with `packaging/build.py` into a temp dir, then runs what was built:
`--version`, `--self-test` with no screen, the app itself (offscreen, with a
control-socket round trip), the tarball's install.sh, and validates the
.desktop and AppStream files.
"""

import json
import os
import select
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import __version__
from app.selftest import CHECKS

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.panggung.Panggung"
HICOLOR = (16, 22, 24, 32, 48, 64, 128, 256, 512)

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux package"),
    pytest.mark.timeout(900),
]


@dataclass
class Build:
    dist: Path
    binary: Path
    tarball: Path
    seconds: float


def headless_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def build_package(base: Path) -> Build:
    start = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--dist",
            str(base / "dist"),
            "--work",
            str(base / "work"),
            "--no-check",  # the checks below run the built app themselves
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=840,
    )
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "matches uv.lock" in done.stdout  # packaged from the locked versions only
    dist = base / "dist"
    tarball = dist / f"panggung-{__version__}-linux-{os.uname().machine}.tar.gz"
    return Build(dist, dist / "panggung" / "panggung", tarball, seconds)


def test_linux_package_builds_and_runs(tmp_path: Path) -> None:
    """One test, so that pytest-xdist's workers do not each build (one build: ~1 min)."""
    try:
        build = build_package(tmp_path / "package")
        print(f"PyInstaller build and tarball: {build.seconds:.0f} s")
        check_version(build)
        check_self_test_without_a_screen(build)
        check_the_built_app_runs_and_answers_its_control_socket(build, tmp_path)
        check_tarball_installs_a_valid_desktop_entry(build, tmp_path)
    finally:
        # About 0.5 GB: not worth keeping in pytest's last three temp dirs.
        shutil.rmtree(tmp_path / "package", ignore_errors=True)
        shutil.rmtree(tmp_path / "unpacked", ignore_errors=True)
        shutil.rmtree(tmp_path / "prefix", ignore_errors=True)


def check_version(build: Build) -> None:
    done = subprocess.run(
        [str(build.binary), "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"panggung {__version__}"


def check_self_test_without_a_screen(build: Build) -> None:
    done = subprocess.run(
        [str(build.binary), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=headless_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "packaged build" in lines[0]
    checks = [line.split(":")[0].split()[-1] for line in lines[1:-1]]
    assert checks == [name for name, _ in CHECKS]
    assert "qt-refcount" in checks  # the build must not carry a Qt that leaks None
    assert all(line.startswith("ok ") for line in lines[1:-1]), done.stdout
    assert "'offscreen'" in lines[1]
    assert lines[-1] == f"self-test passed: {len(CHECKS)} checks"


def check_the_built_app_runs_and_answers_its_control_socket(build: Build, tmp_path: Path) -> None:
    config = tmp_path / "config"
    env = headless_env()
    app = subprocess.Popen(
        [str(build.binary), "--offscreen", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert app.stdout is not None
        ready, _, _ = select.select([app.stdout], [], [], 60)
        assert ready, "the app printed nothing within 60 s"
        event = json.loads(app.stdout.readline())
        assert event["event"] == "ready"
        status = subprocess.run(
            [str(build.binary), "--config", str(config), "status"],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["ok"] is True
        subprocess.run(
            [str(build.binary), "--config", str(config), "quit"],
            capture_output=True,
            timeout=30,
            env=env,
            check=True,
        )
        assert app.wait(timeout=30) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def check_tarball_installs_a_valid_desktop_entry(build: Build, tmp_path: Path) -> None:
    with tarfile.open(build.tarball) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (top,) = (tmp_path / "unpacked").iterdir()
    share = top / "share"
    for size in HICOLOR:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "panggung.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "panggung.svg").is_file()

    prefix = tmp_path / "prefix"
    subprocess.run(
        ["sh", str(top / "install.sh"), str(prefix)],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    desktop = prefix / "share" / "applications" / "panggung.desktop"
    text = desktop.read_text()
    assert f'Exec="{prefix}/bin/panggung" %u' in text
    assert "MimeType=x-scheme-handler/panggung;" in text
    validate = subprocess.run(
        ["desktop-file-validate", str(desktop)], capture_output=True, text=True
    )
    assert validate.returncode == 0 and validate.stdout == "", validate.stdout
    done = subprocess.run(
        [str(prefix / "bin" / "panggung"), "--version"], capture_output=True, text=True
    )
    assert done.stdout.strip() == f"panggung {__version__}"


def test_desktop_and_metainfo_files_validate() -> None:
    desktop = ROOT / "packaging" / "linux" / "panggung.desktop"
    metainfo = ROOT / "packaging" / "linux" / f"{APP_ID}.metainfo.xml"
    done = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--explain", str(metainfo)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
