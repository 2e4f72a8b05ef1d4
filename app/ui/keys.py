"""Key names as the settings store them (QKeySequence's text: "Space", "F9")."""

from PySide6.QtGui import QKeySequence


def name_of_key(key: int) -> str:
    """The stored name of a key (no modifiers: push-to-talk is one key)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def is_key(key: int, name: str) -> bool:
    """Whether `key` is the key the settings call `name`."""
    return bool(name) and name_of_key(key).casefold() == name.casefold()
