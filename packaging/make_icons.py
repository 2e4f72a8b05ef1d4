"""Make the app icons from resources/icons/panggung.svg (run after editing it).

    .venv/bin/python packaging/make_icons.py

Writes, under resources/icons/: hicolor/NxN/apps/panggung.png for the
hicolor sizes (Linux, and the app's own window icon), panggung.ico
(Windows: PNG images 16-256) and panggung.icns (macOS: PNG images 16-512
and their @2x forms). Rendered with Qt's SVG renderer, offscreen.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "panggung.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # all among the hicolor sizes
# ICNS element types holding PNG data, by pixel size.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),  # 16@2x
    (b"icp6", 64),
    (b"ic12", 64),  # 32@2x
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),  # 128@2x
    (b"ic09", 512),
    (b"ic14", 512),  # 256@2x
)


def render(renderer: QSvgRenderer, size: int, path: Path) -> bytes:
    """Render the SVG at ``size`` pixels into the PNG at ``path``; its bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):  # the format follows the .png suffix
        raise RuntimeError(f"could not write {path}")
    return path.read_bytes()


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose images are PNGs (Windows Vista and later)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        png = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"make_icons: cannot read {SVG}", file=sys.stderr)
        return 1
    pngs = {
        size: render(renderer, size, ICONS / "hicolor" / f"{size}x{size}" / "apps" / "panggung.png")
        for size in HICOLOR_SIZES
    }
    (ICONS / "panggung.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / "panggung.icns").write_bytes(icns(pngs))
    print(f"make_icons: wrote {len(HICOLOR_SIZES)} PNGs, panggung.ico and panggung.icns in {ICONS}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
