"""A cluster node in a process of its own, driven by JSON lines on stdin.

For what only a real process shows: kill -9 (its Redis connections close
with it) and SIGSTOP (a node paused past its lease, then resumed). It
prints one JSON line per happening on stdout: `ready`, `acquired`,
`handled` (a forwarded request), `published`/`refused`, `listed`, `state`
changes, `unblocked` (after `block`: its event loop stalled that long).

    python -m tests.server.cluster.nodeproc REDIS_URL PREFIX NAME LEASE_TTL RENEW [STALL]
"""

import asyncio
import json
import sys
import time
from typing import Any

from app.server.cluster import ClusterConfig, ClusterNode, Fenced, Lease, LeaseState


def say(**fields: Any) -> None:
    # CLOCK_MONOTONIC is the machine's: the test compares it with its own.
    print(json.dumps({**fields, "t": time.monotonic()}), flush=True)


async def main(
    url: str, prefix: str, name: str, ttl: float, renew: float, stall: float = 10.0
) -> None:
    config = ClusterConfig(
        redis_url=url,
        url=f"ws://{name}.invalid/ws",
        name=name,
        prefix=prefix,
        lease_ttl=ttl,
        renew_interval=renew,
        command_timeout=0.5,
        attempt_timeout=0.5,
        loop_stall_limit=stall,
        # Short, so that a lapse shows within one of the tests' blocks.
        heartbeat_interval=0.2,
        heartbeat_ttl=0.8,
    )
    node = ClusterNode(config)
    await node.start()
    delay = 0.0

    def on_state(lease: Lease, state: LeaseState) -> None:
        say(op="state", room=lease.room_id, epoch=lease.epoch, state=state.value)

    async def handler(room_id: str, sender: str, body: bytes) -> bytes:
        say(op="handling", room=room_id, body=body.decode())
        await asyncio.sleep(delay)
        lease = node.lease(room_id)
        epoch = lease.epoch if lease else -1
        say(op="handled", room=room_id, body=body.decode(), epoch=epoch)
        return json.dumps({"node": name, "epoch": epoch, "body": body.decode()}).encode()

    node.serve(handler)
    say(op="ready", node=node.node_id)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = json.loads(line)
        op = command["op"]
        if op == "acquire":
            lease = await node.acquire(command["room"], on_state=on_state)
            say(op="acquired", room=command["room"], epoch=lease.epoch if lease else None)
        elif op == "delay":
            delay = float(command["seconds"])
            say(op="delay", seconds=delay)
        elif op == "publish":
            lease = node.lease(command["room"])
            if lease is None:
                say(op="refused", seq=command["seq"], error="no lease")
                continue
            try:
                outcome = await lease.publish(command["seq"], command["frame"].encode())
            except Fenced as exc:
                say(op="refused", seq=command["seq"], error=str(exc))
            else:
                say(op="published", seq=command["seq"], outcome=outcome.value)
        elif op == "list":
            lease = node.lease(command["room"])
            assert lease is not None
            outcome = await lease.list(command["summary"].encode())
            say(op="listed", room=command["room"], outcome=outcome.value)
        elif op == "block":
            # The event loop stalls (an overloaded process): nothing of it runs.
            time.sleep(float(command["seconds"]))  # noqa: ASYNC251 - the stall itself
            lease = node.lease(command["room"])
            say(
                op="unblocked",
                active=lease is not None and lease.active,
                state=lease.state.value if lease is not None else None,
            )
        elif op == "quit":
            break
    await node.close()


if __name__ == "__main__":
    url, prefix, name, ttl, renew = sys.argv[1:6]
    stall = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0
    asyncio.run(main(url, prefix, name, float(ttl), float(renew), stall))
