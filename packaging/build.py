"""Build Panggung's package for the OS this runs on (`make package`).

    .venv/bin/python packaging/build.py [--dist DIR] [--work DIR] [--no-check]

1. PyInstaller, with packaging/panggung.spec: a one-folder, windowed build
   in DIST/panggung (Linux, Windows) or DIST/Panggung.app (macOS).
2. The built app's own check: `--version` and `--self-test` (no screen).
3. Per OS:
   - Linux: DIST/panggung-VERSION-linux-ARCH.tar.gz (the build, the .desktop
     and AppStream files, the hicolor icons and install.sh); with
     `appimagetool` on PATH also DIST/Panggung-VERSION-ARCH.AppImage.
   - macOS: DIST/Panggung-VERSION-macos.zip of the .app (for notarisation).
   - Windows: with Inno Setup's `iscc` on PATH, DIST/panggung-VERSION-setup.exe.
Prints what it made, one path a line, last.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from app import __version__ as VERSION  # noqa: E402

APP_ID = "io.github.panggung.Panggung"
LINUX = HERE / "linux"
ICONS = ROOT / "resources" / "icons"


def say(message: str) -> None:
    print(f"package: {message}", flush=True)


def check_locked() -> None:
    """Refuse to package anything but what uv.lock says: the tested versions."""
    uv = ROOT / ".tools" / ("Scripts/uv.exe" if sys.platform == "win32" else "bin/uv")
    if not uv.exists():
        raise SystemExit(f"package: {uv} is missing: run `make setup` (it syncs .venv)")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix, "UV_PYTHON_DOWNLOADS": "never"}
    done = subprocess.run(
        [str(uv), "sync", "--locked", "--extra", "dev", "--check", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"package: {sys.prefix} differs from uv.lock; run `make setup` first\n{done.stderr}"
        )
    say(f"{sys.prefix} matches uv.lock")


def pyinstaller(dist: Path, work: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(HERE / "panggung.spec"),
        ],
        check=True,
        cwd=ROOT,
    )


def executable(dist: Path) -> Path:
    if sys.platform == "darwin":
        return dist / "Panggung.app" / "Contents" / "MacOS" / "panggung"
    return dist / "panggung" / ("panggung.exe" if sys.platform == "win32" else "panggung")


def check(binary: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    for flag in ("--version", "--self-test"):
        say(f"{binary.name} {flag}")
        subprocess.run([str(binary), flag], check=True, env=env, stderr=subprocess.DEVNULL)


def linux_share(share: Path) -> None:
    """The desktop integration files, laid out as under /usr/share."""
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy2(LINUX / "panggung.desktop", share / "applications" / "panggung.desktop")
    (share / "metainfo").mkdir(parents=True, exist_ok=True)
    metainfo = f"{APP_ID}.metainfo.xml"
    shutil.copy2(LINUX / metainfo, share / "metainfo" / metainfo)
    shutil.copytree(ICONS / "hicolor", share / "icons" / "hicolor", dirs_exist_ok=True)
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ICONS / "panggung.svg", scalable / "panggung.svg")


def linux_tarball(dist: Path) -> Path:
    name = f"panggung-{VERSION}-linux-{platform.machine()}"
    stage = dist / name
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    shutil.copytree(dist / "panggung", stage / "panggung", symlinks=True)
    linux_share(stage / "share")
    shutil.copy2(LINUX / "install.sh", stage / "install.sh")
    tarball = dist / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=name)
    shutil.rmtree(stage)
    return tarball


def linux_appimage(dist: Path) -> Path | None:
    tool = shutil.which("appimagetool")
    if tool is None:
        say("no appimagetool on PATH: skipping the AppImage (see packaging/README.md)")
        return None
    appdir = dist / "Panggung.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(dist / "panggung", appdir / "usr" / "lib" / "panggung", symlinks=True)
    linux_share(appdir / "usr" / "share")
    shutil.copy2(LINUX / "AppRun", appdir / "AppRun")
    (appdir / "AppRun").chmod(0o755)
    shutil.copy2(LINUX / "panggung.desktop", appdir / "panggung.desktop")
    shutil.copy2(ICONS / "hicolor" / "256x256" / "apps" / "panggung.png", appdir / "panggung.png")
    image = dist / f"Panggung-{VERSION}-{platform.machine()}.AppImage"
    subprocess.run(
        [tool, str(appdir), str(image)],
        check=True,
        env={**os.environ, "ARCH": platform.machine()},
    )
    shutil.rmtree(appdir)
    return image


def macos_zip(dist: Path) -> Path:
    archive = dist / f"Panggung-{VERSION}-macos.zip"
    subprocess.run(
        ["ditto", "-c", "-k", "--keepParent", str(dist / "Panggung.app"), str(archive)],
        check=True,
    )
    return archive


def windows_installer(dist: Path) -> Path | None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        say("no Inno Setup (iscc) on PATH: skipping the installer (see packaging/README.md)")
        return None
    subprocess.run(
        [
            iscc,
            f"/DAppVersion={VERSION}",
            f"/DSourceDir={dist / 'panggung'}",
            f"/DIconFile={ICONS / 'panggung.ico'}",
            f"/O{dist}",
            str(HERE / "windows" / "panggung.iss"),
        ],
        check=True,
    )
    return dist / f"panggung-{VERSION}-setup.exe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output (default dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--no-check", action="store_true", help="skip --version/--self-test")
    args = parser.parse_args(argv)
    dist: Path = args.dist.resolve()
    say(f"building panggung {VERSION} for {sys.platform} into {dist}")
    check_locked()
    pyinstaller(dist, args.work.resolve())
    binary = executable(dist)
    if not args.no_check:
        check(binary)
    made: list[Path | None] = [binary]
    if sys.platform.startswith("linux"):
        made.append(linux_tarball(dist))
        made.append(linux_appimage(dist))
    elif sys.platform == "darwin":
        made = [dist / "Panggung.app", macos_zip(dist)]
    elif sys.platform == "win32":
        made.append(windows_installer(dist))
    for path in made:
        if path is not None:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
