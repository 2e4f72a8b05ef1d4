"""A throwaway PostgreSQL server for a test session: 127.0.0.1, a free port, a temp dir.

As root the server runs as the `postgres` system user (PostgreSQL refuses to
run as root); otherwise as the current user. Durability is switched off
(fsync, full_page_writes): the cluster is deleted when the session ends.
"""

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.support.engine_process import HOST, free_port, make_root, orphaned_roots

SUPERUSER = "postgres"
_NEEDED = ("initdb", "pg_ctl", "postgres")
_START_ATTEMPTS = 3  # a free port can be taken between picking and binding it
_PREFIX = "panggung-pg-"


class PostgresUnavailable(RuntimeError):
    """The binaries or the user to run them as are missing."""


def find_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH first, then Debian's layout."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(os.path.realpath(on_path)).parent] if on_path else []
    # Newest major version first.
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    debian.sort(key=lambda d: int(v) if (v := Path(d).parent.name).isdigit() else 0, reverse=True)
    candidates += [Path(d) for d in debian]
    for directory in candidates:
        if all((directory / name).is_file() for name in _NEEDED):
            return directory
    return None


class PostgresServer:
    def __init__(self, root: Path, bin_dir: Path, run_as: str | None) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.port = 0
        self._run_as = run_as
        self._data = root / "data"
        self._sockets = root / "sock"
        self._log = root / "postgres.log"

    @classmethod
    def start(cls) -> "PostgresServer":
        """initdb a fresh cluster in a temp dir and start it; PostgresUnavailable if we cannot."""
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH "
                "or in /usr/lib/postgresql/*/bin; run `make test`, which installs them"
            )
        run_as = _server_user()
        _reap_orphans(bin_dir, run_as)
        root = make_root(_PREFIX)
        server = cls(root, bin_dir, run_as)
        # Registered before anything can fail, so a crash still cleans up.
        atexit.register(server.stop)
        try:
            server._sockets.mkdir()
            if run_as is not None:
                for path in (root, server._sockets):
                    shutil.chown(path, user=run_as)
            server._initdb()
            server._start_on_free_port()
        except BaseException:
            server.stop()
            raise
        return server

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database with a random name; returns the name."""
        name = f"t_{secrets.token_hex(6)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a test that forgot to close its store must not block the drop.
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and delete its files; safe to call twice."""
        # The pid file, not a flag: a start that timed out may still be running.
        if (self._data / "postmaster.pid").exists():
            with contextlib.suppress(OSError, ValueError):
                self.thaw()  # a frozen server would never answer pg_ctl
            try:
                self._pg_ctl("-m", "fast", "-w", "-t", "30", "stop")
            except subprocess.SubprocessError:
                with contextlib.suppress(subprocess.SubprocessError):
                    self._pg_ctl("-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def processes(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, ...)."""
        main = int((self._data / "postmaster.pid").read_text().split()[0])
        found = [main]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == main:
                found.append(int(entry.name))
        return found

    def freeze(self) -> None:
        """A hung database: every process stopped (SIGSTOP), connections left open."""
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def halt(self) -> None:
        """Stop the server (fast shutdown), keeping its files for `resume_on_same_port`."""
        self._pg_ctl("-m", "fast", "-w", "-t", "30", "stop")

    def resume_on_same_port(self) -> None:
        options = (
            f"-p {self.port} -k {self._sockets} -c listen_addresses={HOST} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._pg_ctl("-l", str(self._log), "-w", "-t", "60", "-o", options, "start")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _initdb(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self._data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            timeout=120,
        )

    def _start_on_free_port(self) -> None:
        for attempt in range(_START_ATTEMPTS):
            self.port = free_port()
            options = (
                f"-p {self.port} -k {self._sockets} -c listen_addresses={HOST} "
                "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            )
            try:
                self._pg_ctl("-l", str(self._log), "-w", "-t", "60", "-o", options, "start")
            except subprocess.CalledProcessError as exc:
                if attempt + 1 < _START_ATTEMPTS and "already in use" in self.log_tail():
                    continue
                raise RuntimeError(
                    f"PostgreSQL did not start: {exc}\n{exc.stderr}\n{self.log_tail()}"
                ) from exc
            return

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self._data), *args, timeout=90)

    def _run(self, *command: str, timeout: float) -> None:
        prefix = ["runuser", "-u", self._run_as, "--"] if self._run_as else []
        # cwd: the server user may not be allowed into ours, and the tools
        # fail if they cannot resolve the current directory.
        subprocess.run(
            [*prefix, *command],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def _admin(self, sql: str) -> None:
        async def execute() -> None:
            engine = create_async_engine(
                f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.port}/postgres",
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",  # CREATE/DROP DATABASE refuse transactions
            )
            try:
                async with engine.connect() as connection:
                    await connection.execute(text(sql))
            finally:
                await engine.dispose()

        # Its own thread and loop: callers may be sync fixtures of async tests.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, execute()).result()


def _reap_orphans(bin_dir: Path, run_as: str | None) -> None:
    """Stop and delete clusters whose test process died without cleaning up (SIGKILL, SIGTERM)."""
    for root in orphaned_roots(_PREFIX):
        PostgresServer(root, bin_dir, run_as).stop()


def _server_user() -> str | None:
    """Whom to run the server as: `postgres` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "running as root, but there is no `postgres` system user to run the PostgreSQL "
            "server as; run `make test`, which installs PostgreSQL and creates it"
        ) from None
    return SUPERUSER
