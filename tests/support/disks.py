"""Small RAM disks (tmpfs) for a real "No space left on device"; mounting needs root."""

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def ram_disks(root: Path) -> Iterator[Callable[[str], Path]]:
    """Yields `mount(size)`, which mounts a tmpfs of that size under `root`;
    all are unmounted at the end. Skips the test where mounting is not allowed."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = root / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(point)
        return point

    try:
        yield mount
    finally:
        for point in mounted:
            subprocess.run(["umount", "-l", str(point)], check=False)


def fill(disk: Path) -> None:
    """Take every byte left on `disk`."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)


def free(disk: Path) -> None:
    (disk / "filler").unlink(missing_ok=True)
