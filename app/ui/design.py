"""The room's look in one place: sizes, colours and the light / dark / system
themes, and the rule that keeps the talking ring visible on any of them.

Sizes are pixels at 1x; cells have a fixed size so that nothing moves when
someone starts talking (the ring is drawn inside the cell's own margin).
"""

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.client.app_settings import THEMES

# -- sizes -----------------------------------------------------------------------------
STAGE_AVATAR = 64  # the stage's round avatars
AUDIENCE_AVATAR = 36  # the moderators' audience grid
RING_GAP = 2  # between the avatar and its ring
RING_MIN = 2  # the ring's width when the speaker is barely heard
RING_MAX = 6  # ... and at full level: the ring "pulses" with the level
STAGE_CELL_WIDTH = 112
AUDIENCE_CELL_WIDTH = 84
CELL_SPACING = 6
BADGE_RADIUS = 7
PTT_HEIGHT = 56
HEADER_CHIP_PADDING = "2px 8px"

# -- colours ---------------------------------------------------------------------------
# Role badges and header chips: white text on these passes 4.5:1.
BADGE_COLOURS = {
    "host": "#8a4b00",
    "cohost": "#5b3f99",
    "muted": "#6b6b6b",
    "hand": "#996b00",
    "invited": "#1d6f8f",
    "recording": "#b3261e",
    "locked": "#55606e",
    "invite_only": "#37618f",
    "broadcast": "#6a4c93",
    "stalled": "#a33a00",
}
# Tried in order for the talking ring: the first that stands out from the
# background by at least WCAG's 3:1 for graphics wins.
RING_CANDIDATES = ("#1e8e3e", "#5fe08a", "#ffd400", "#000000", "#ffffff")
RING_CONTRAST = 3.0

LIGHT = {
    QPalette.ColorRole.Window: "#f4f4f6",
    QPalette.ColorRole.WindowText: "#1b1b1f",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#ececf0",
    QPalette.ColorRole.Text: "#1b1b1f",
    QPalette.ColorRole.Button: "#e8e8ec",
    QPalette.ColorRole.ButtonText: "#1b1b1f",
    QPalette.ColorRole.Highlight: "#2f6fd1",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1b1b1f",
    QPalette.ColorRole.PlaceholderText: "#6e6e78",
    QPalette.ColorRole.Link: "#1f5fbf",
}
DARK = {
    QPalette.ColorRole.Window: "#1e1f24",
    QPalette.ColorRole.WindowText: "#e8e8ec",
    QPalette.ColorRole.Base: "#25272d",
    QPalette.ColorRole.AlternateBase: "#2c2e35",
    QPalette.ColorRole.Text: "#e8e8ec",
    QPalette.ColorRole.Button: "#30323a",
    QPalette.ColorRole.ButtonText: "#e8e8ec",
    QPalette.ColorRole.Highlight: "#4f8fe8",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#30323a",
    QPalette.ColorRole.ToolTipText: "#e8e8ec",
    QPalette.ColorRole.PlaceholderText: "#9a9aa6",
    QPalette.ColorRole.Link: "#8ab4f8",
}
# What a high-contrast desktop theme gives (used by the ring's test).
HIGH_CONTRAST = {
    QPalette.ColorRole.Window: "#000000",
    QPalette.ColorRole.WindowText: "#ffffff",
    QPalette.ColorRole.Base: "#000000",
    QPalette.ColorRole.Text: "#ffffff",
    QPalette.ColorRole.Button: "#000000",
    QPalette.ColorRole.ButtonText: "#ffffff",
    QPalette.ColorRole.Highlight: "#1aebff",
    QPalette.ColorRole.HighlightedText: "#000000",
}


def make_palette(colours: dict[QPalette.ColorRole, str], base: QPalette | None = None) -> QPalette:
    palette = QPalette(base) if base is not None else QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(colours[QPalette.ColorRole.WindowText])
    disabled.setAlphaF(0.45)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, 1 (none) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ring_colour(palette: QPalette) -> QColor:
    """The talking ring's colour on this palette's view background."""
    background = palette.color(QPalette.ColorRole.Base)
    for candidate in RING_CANDIDATES:
        colour = QColor(candidate)
        if contrast_ratio(colour, background) >= RING_CONTRAST:
            return colour
    return palette.color(QPalette.ColorRole.Text)  # unreachable: black or white passes


_system: QPalette | None = None


def apply_theme(app: QApplication, theme: str) -> str:
    """Light or dark on Qt's Fusion style (the same on every desktop), or the
    system's own palette; returns the theme applied."""
    global _system
    if _system is None:
        _system = QPalette(app.palette())
    if theme not in THEMES:
        theme = "system"
    if theme == "system":
        app.setPalette(_system)
    else:
        app.setStyle("Fusion")
        app.setPalette(make_palette(LIGHT if theme == "light" else DARK))
    return theme


def is_dark(palette: QPalette | None = None) -> bool:
    shown = palette or QGuiApplication.palette()
    return luminance(shown.color(QPalette.ColorRole.Window)) < 0.2
