"""Network namespaces of a test's own (root, ip and tc): a loopback whose queue
the test shapes with tbf, which the machine's own loopback must not get."""

import os
import shutil
import subprocess

import pytest

needs_netns = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tc"),
    reason="needs root, ip and tc to make a network namespace",
)


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)
