"""A local cluster to look at: Redis, PostgreSQL and three panggung-server nodes
on loopback, the first with the demo room (`make cluster`; docs/cluster.md).

Redis and PostgreSQL are throwaway servers in a temp directory on free ports
(the same helpers the tests use); the nodes listen on 127.0.0.1, ports
BASE_PORT.. (8765 by default). Ctrl-C stops everything and deletes the data.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.redis import RedisServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("BASE_PORT", 8765)))
    parser.add_argument("--no-media", action="store_true", help="signaling only")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    redis = RedisServer.start()
    postgres = PostgresServer.start()
    nodes: list[subprocess.Popen[str]] = []
    try:
        db = postgres.url(postgres.create_database())
        print(f"redis:      {redis.url()}\npostgresql: {db}", flush=True)
        for n in range(args.nodes):
            command = [
                sys.executable, "-m", "app.server.main",
                "--port", str(args.base_port + n),
                "--db", db,
                "--cluster", redis.url(),
                "--node-name", f"node{n + 1}",
            ]  # fmt: skip
            if args.no_media:
                command.append("--no-media")
            if n == 0:
                command.append("--demo")
            node = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            nodes.append(node)
            assert node.stdout is not None
            print(f"node{n + 1}:      {node.stdout.readline().strip()}", flush=True)
            if n == 0:  # the demo room's two lines
                for _ in range(2):
                    print("  " + node.stdout.readline().rstrip(), flush=True)
        print("Any node serves any room; kill one (kill -9 PID) to see its rooms move.")
        print("pids: " + " ".join(f"node{i + 1}={p.pid}" for i, p in enumerate(nodes)))
        print("Ctrl-C stops the cluster.", flush=True)
        while any(node.poll() is None for node in nodes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for node in nodes:
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
        for node in nodes:
            try:
                node.wait(timeout=15)
            except subprocess.TimeoutExpired:
                node.kill()
        postgres.stop()
        redis.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
