"""Who may import what (docs: ARCHITECTURE.md): checked on the source itself."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# A third-party package -> the only app package allowed to import it.
CONFINED = {
    "aiortc": "app/media",
    "aioice": "app/media",
    "pyaudio": "app/audio",
    "livekit": "app/audio",  # its AudioProcessingModule, in app/audio/apm.py
    "opuslib_next": "app/media",
    "PySide6": "app/ui",
    "qasync": "app/ui",
    "redis": "app/server/cluster",
}
# Sans-I/O cores: no clock, no sockets, no database, no event loop.
PURE = {
    "app/server/rooms": {"asyncio", "time", "socket", "aiohttp", "sqlalchemy", "random", "os"},
    "app/protocol": {"asyncio", "time", "socket", "aiohttp", "sqlalchemy"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def where(path: Path) -> str:
    return path.relative_to(APP.parent).as_posix()


@pytest.mark.parametrize(("package", "home"), sorted(CONFINED.items()))
def test_third_party_packages_stay_in_their_layer(package: str, home: str) -> None:
    offenders = [
        where(path)
        for path in sources()
        if not where(path).startswith(home + "/")
        and not (package in ("PySide6", "qasync") and where(path) == "app/desktop_main.py")
        and any(name == package or name.startswith(package + ".") for name in imports_of(path))
    ]
    assert offenders == [], f"{package} imported outside {home}: {offenders}"


@pytest.mark.parametrize(("core", "banned"), sorted(PURE.items()))
def test_cores_do_no_io(core: str, banned: set[str]) -> None:
    offenders = {
        where(path): sorted(n for n in imports_of(path) if n.split(".")[0] in banned)
        for path in sources()
        if where(path).startswith(core + "/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_protocol_imports_nothing_else_from_the_app() -> None:
    for path in sources():
        if where(path).startswith("app/protocol/"):
            inner = {n for n in imports_of(path) if n.startswith("app.")}
            assert all(n.startswith("app.protocol") for n in inner), (where(path), inner)


def _touches(path: Path, names: frozenset[str]) -> list[str]:
    """`obj.name` on anything but self/cls, and set/get/has/delattr(obj, "name")."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in names:
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{where(path)}:{node.lineno} .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "getattr", "hasattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in names
        ):
            found.append(f"{where(path)}:{node.lineno} {node.func.id} {node.args[1].value}")
    return found


def test_only_the_hooks_module_touches_aiortc_and_aioice_internals() -> None:
    from app.media.aiortc_hooks import TOUCHED

    hooks = APP / "media" / "aiortc_hooks.py"
    # "data_received" is also every asyncio protocol's method: only aiortc's users count.
    outside = [
        hit
        for path in sources()
        if path != hooks
        for hit in _touches(path, TOUCHED - {"data_received", "receivers"})
    ]
    assert outside == []
    media = [p for p in sources() if where(p).startswith("app/media/") and p != hooks]
    assert [hit for p in media for hit in _touches(p, frozenset({"data_received"}))] == []


def test_the_hooks_module_declares_every_private_name_it_uses() -> None:
    from app.media.aiortc_hooks import TOUCHED

    hooks = APP / "media" / "aiortc_hooks.py"
    used = set()
    for node in ast.walk(ast.parse(hooks.read_text())):
        name = None
        if isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        ):
            name = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "getattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
        ):
            name = str(node.args[1].value)
        if name and name.startswith("_") and not name.startswith("__"):
            used.add(name)
    assert used - TOUCHED == set()


# Polling intervals that happen to be 20 ms; they are not the audio frame.
NOT_THE_FRAME = {
    "app/server/cluster/rpc.py",
    "app/bench/cluster.py",
}


def test_the_audio_frame_is_defined_once() -> None:
    """960 samples / 20 ms is written in app/dsp only; a bare copy elsewhere would
    silently desynchronise the ticker from the codec when the frame changes."""
    found = []
    for path in sources():
        rel = path.relative_to(APP.parent).as_posix()
        if rel == "app/dsp/__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
                continue
            if node.value == 960 or (node.value == 0.02 and rel not in NOT_THE_FRAME):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found, "use app.dsp.FRAME_SAMPLES / FRAME_SECONDS / FRAME_MS:\n" + "\n".join(found)


def _role_sets(tree: ast.AST) -> list[int]:
    """Lines of set literals (or frozenset/set calls on one) naming two or more roles."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Set):
            roles = [
                e
                for e in node.elts
                if isinstance(e, ast.Attribute)
                and isinstance(e.value, ast.Name)
                and e.value.id == "Role"
            ]
            if len(roles) >= 2:
                lines.append(node.lineno)
    return lines


def test_roles_are_grouped_only_in_the_protocol_and_the_permission_module() -> None:
    """Who may do what is decided in app/server/rooms/permissions.py and pushed to
    each member (`allowed`); the stage is the protocol's STAGE_ROLES. A set of
    roles anywhere else is a copy of the rules that drifts from the gate."""
    allowed_here = {"app/protocol/model.py", "app/server/rooms/permissions.py"}
    found = []
    for path in sources():
        rel = path.relative_to(APP.parent).as_posix()
        if rel in allowed_here:
            continue
        found += [f"{rel}:{line}" for line in _role_sets(ast.parse(path.read_text(), rel))]
    assert not found, "ask the permission module, or read the pushed actions:\n" + "\n".join(found)


def test_the_media_shell_decides_nothing_about_being_heard() -> None:
    """Push-to-talk is core state and `may_be_heard` the only decision: the media
    shell neither keeps who holds the key nor reads it or the mutes itself."""
    tree = ast.parse((APP / "server" / "voice_rooms.py").read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "may_be_heard" in names
    assert not {n for n in names if "talk" in n or n in ("ptt_held", "mod_muted", "self_muted")}
