"""The start-up check behind every module that reaches into a library's internals.

Panggung relies on a few private attributes of aiortc, aioice, qasync,
asyncio and pynput. Each library's hooks live in one module (``*_hooks.py``)
that declares what it touches; `require` checks that declaration against the
installed library, so an upgrade that moved something fails at start with
"aiortc 1.17.0 is not supported: missing RTCRtpSender._ssrc" instead of
misbehaving in a live room. pyproject.toml pins each library to the versions
its hooks are written for; docs/media.md says what to check when moving on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType


class UnsupportedLibrary(RuntimeError):
    """An installed library lacks something its hooks module needs."""


@dataclass(frozen=True)
class Hook:
    """One private name we use: `owner.attribute`, shown as `label`."""

    owner: object
    attribute: str
    label: str


def hook(owner: object, attribute: str) -> Hook:
    """`owner` is a module, a class, or an instance (for attributes set in __init__)."""
    if isinstance(owner, ModuleType):
        name = owner.__name__
    elif isinstance(owner, type):
        name = owner.__qualname__
    else:
        name = type(owner).__qualname__
    return Hook(owner, attribute, f"{name}.{attribute}")


def require(library: str, version: str, written_for: str, hooks: Iterable[Hook]) -> str:
    """Raise UnsupportedLibrary naming every missing hook; else a one-line summary.

    `written_for` is the version prefix the hooks were written and tested
    against ("1.16"); another version that still has every hook passes, with
    a note in the summary.
    """
    hooks = list(hooks)
    missing = [h.label for h in hooks if not hasattr(h.owner, h.attribute)]
    if missing:
        raise UnsupportedLibrary(
            f"{library} {version} is not supported: missing {', '.join(missing)} "
            f"(Panggung's hooks are written for {library} {written_for}.x)"
        )
    note = "" if _matches(version, written_for) else f", untested (written for {written_for}.x)"
    return f"{library} {version}: {len(hooks)} hooks present{note}"


def _matches(version: str, prefix: str) -> bool:
    return version == prefix or version.startswith(prefix + ".")
