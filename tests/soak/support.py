"""What the soak tests share: how long they run, the figures they sample
from a live process, and how they read its log.

The length comes from $PANGGUNG_SOAK_SECONDS (600 in `make test`, an hour in
`make soak`). A leak that kills a process after minutes passes every short
test; these run the real processes long enough to see the trend.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SOAK_SECONDS = float(os.environ.get("PANGGUNG_SOAK_SECONDS", "600"))
# Growth is measured from here on: start-up (imports, caches, the first
# peer connection, the jitter buffers filling) is not a leak.
WARM_UP = min(90.0, SOAK_SECONDS / 4)
# Lines of a log that mean something went wrong.
TROUBLE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)|Fatal Python error")


@dataclass
class Sample:
    at: float  # seconds since the soak started
    rss: int
    open_files: int
    threads: int
    cpu_s: float
    extra: dict[str, float] = field(default_factory=dict)


def sample_process(pid: int, at: float, **extra: float) -> Sample:
    proc = psutil.Process(pid)
    with proc.oneshot():
        cpu = proc.cpu_times()
        return Sample(
            at,
            proc.memory_info().rss,
            proc.num_fds(),
            proc.num_threads(),
            cpu.user + cpu.system,
            dict(extra),
        )


@dataclass
class Trend:
    """First sample after the warm-up against the last one."""

    samples: list[Sample]

    def _pair(self) -> tuple[Sample, Sample]:
        settled = [s for s in self.samples if s.at >= WARM_UP] or self.samples
        return settled[0], self.samples[-1]

    def growth(self, name: str) -> float:
        first, last = self._pair()
        if name in first.extra:
            return last.extra[name] - first.extra[name]
        return float(getattr(last, name) - getattr(first, name))

    def minimum(self, name: str) -> float:
        settled = [s for s in self.samples if s.at >= WARM_UP] or self.samples
        return min(s.extra[name] for s in settled)

    def cpu_share(self) -> float:
        """Share of one core over the settled part."""
        first, last = self._pair()
        return (last.cpu_s - first.cpu_s) / max(last.at - first.at, 1e-9)

    def report(self, title: str) -> str:
        first, last = self._pair()
        minutes = (last.at - first.at) / 60
        lines = [
            f"{title}: {len(self.samples)} samples over {self.samples[-1].at / 60:.1f} min",
            f"  RSS {first.rss / 2**20:.1f} -> {last.rss / 2**20:.1f} MiB "
            f"({self.growth('rss') / 2**20:+.1f} MiB over the last {minutes:.1f} min)",
            f"  open files {first.open_files} -> {last.open_files}, "
            f"threads {first.threads} -> {last.threads}, "
            f"CPU {100 * self.cpu_share():.1f} % of a core",
        ]
        for name in first.extra:
            lines.append(f"  {name} {first.extra[name]:.0f} -> {last.extra[name]:.0f}")
        return "\n".join(lines)


def trouble_in(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if TROUBLE.search(line)]


def write_report(name: str, text: str) -> None:
    """Print it (pytest -rP shows it) and keep it where $PANGGUNG_SOAK_REPORTS says."""
    print(text)
    where = os.environ.get("PANGGUNG_SOAK_REPORTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / f"{name}.txt").write_text(text + "\n")
