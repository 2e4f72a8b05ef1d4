"""The test engines' shared housekeeping: a test process killed without cleaning
up leaves its engine behind, and the next start reaps it (and nothing else)."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import engine_process, redis
from tests.support.engine_process import make_root, orphaned_roots, signal_if_named

_PREFIX = "panggung-test-engine-"


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_roots_whose_owner_is_gone_are_orphans() -> None:
    mine = make_root(_PREFIX)
    theirs = make_root(_PREFIX)
    (theirs / engine_process.OWNER_FILE).write_text(str(_dead_pid()))
    unmarked = make_root(_PREFIX)
    (unmarked / engine_process.OWNER_FILE).unlink()  # still being set up
    try:
        found = set(orphaned_roots(_PREFIX))
        assert theirs in found and mine not in found and unmarked not in found
    finally:
        for root in (mine, theirs, unmarked):
            for f in root.iterdir():
                f.unlink()
            root.rmdir()


def test_a_pid_is_signalled_only_while_it_names_the_engine(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        # The name is read from /proc: wait until the child shows as `sleep`
        # (a CI run once found it unsignalled, the sleep ending on its own).
        comm = Path(f"/proc/{sleeper.pid}/comm")
        for _ in range(1000):
            if "sleep" in comm.read_text():
                break
            time.sleep(0.01)
        assert "sleep" in comm.read_text(), comm.read_text()
        pid_file = tmp_path / "engine.pid"
        pid_file.write_text(f"{sleeper.pid}\n")
        signal_if_named(pid_file, "redis", signal.SIGKILL)  # a reused pid: left alone
        assert sleeper.poll() is None
        signal_if_named(pid_file, "sleep", signal.SIGKILL)
        # Generous: CI runs this beside the soaks on 2 cores, and 10 s once ran out.
        assert sleeper.wait(timeout=60) == -signal.SIGKILL
        signal_if_named(tmp_path / "missing.pid", "sleep", signal.SIGKILL)  # no error
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_redis_of_a_killed_test_process_is_reaped() -> None:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tests.support.redis import RedisServer; import time\n"
            "s = RedisServer.start(); print(s.root, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert owner.stdout is not None
        root = Path(owner.stdout.readline().strip())
        engine = int((root / "redis.pid").read_text())
        owner.kill()  # no atexit: the server and its dir stay behind
        owner.wait(timeout=10)
        assert root.is_dir() and engine_process.alive(engine)
        redis.reap_orphans()
        assert not root.exists()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{engine}").exists():
            # Our child's child is reparented; it is gone once its zombie is reaped.
            if "Z" in Path(f"/proc/{engine}/stat").read_text().split(")")[1].split()[0]:
                break
            time.sleep(0.05)
        else:
            assert not Path(f"/proc/{engine}").exists()
    finally:
        owner.kill()
        owner.wait()
