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
