"""Text that the server shows to other people, made safe at the edge.

A room's title and topic are shown to everyone in the directory and in the
room, and stored in the database. Line breaks and the other separators are
turned into spaces, so that one line stays one line; characters that are
invisible and change what other text looks like are refused: control
characters (NUL among them, which PostgreSQL cannot store in text) and the
bidirectional embeddings, overrides and isolates (a right-to-left override
makes "gpj.exe" read as "exe.jpg"). The marks U+200E/U+200F/U+061C stay:
right-to-left scripts need them and they affect only their neighbours.
"""

import unicodedata

# Turned into a plain space: they would break the line for everyone.
_SEPARATORS = frozenset("\t\n\v\f\r\x85\u2028\u2029")
# Embeddings, overrides and isolates: they reorder the text around them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def display_text(text: str, what: str) -> str:
    """`text` with separators as spaces; ValueError naming `what` for a character we refuse."""
    if text.isprintable() and text.isascii():
        return text  # the common case, at C speed
    out = []
    for char in text:
        if char in _SEPARATORS:
            out.append(" ")
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"{what} cannot contain the invisible character U+{ord(char):04X}")
        out.append(char)
    return "".join(out)
