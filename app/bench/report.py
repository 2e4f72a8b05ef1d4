"""Benchmark results into docs/benchmarks.md: one replaceable section each,
with the machine, the command and the date beside the numbers."""

import datetime
import os
import platform
import re
import sys
from pathlib import Path

import psutil


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = names[0] if names else cpu
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def header(title: str, argv: list[str] | None = None) -> str:
    """`argv`: the arguments the benchmark was given (default this process's);
    a database URL in them is shown as its scheme only (it may hold a password)."""
    shown = [
        re.sub(r"^(postgres(?:ql)?(?:\+\w+)?)://.*$", r"\1://…", arg)
        for arg in (sys.argv[1:] if argv is None else argv)
    ]
    command = "panggung-bench " + " ".join(shown)
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"## {title}\n\n- Command: `{command}`\n- Date: {today}\n- Machine: {machine()}\n"


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace (or append) the section `name` in `path`, keeping the rest."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{markdown.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
