"""Where the files the app ships (resources/) are, from a clone or a packaged build.

A PyInstaller build unpacks them beside the code (``sys._MEIPASS``); from a
clone they sit at the top of the repository.
"""

import sys
from pathlib import Path

ICON_NAME = "panggung"


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def app_icon_path(size: int = 256) -> Path:
    """The app icon as a PNG of ``size`` pixels (one of the hicolor sizes)."""
    return resources_dir() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
