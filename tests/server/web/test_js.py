"""The page's pure modules under node's test runner (tests/server/web/js)."""

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).with_name("js")


def test_page_modules_under_node() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: `make test` installs nodejs", pytrace=False)
    tests = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert len(tests) >= 2
    done = subprocess.run([node, "--test", *tests], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout
