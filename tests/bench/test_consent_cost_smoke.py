"""The consent micro-benchmark runs, and the socket's own path is the cheaper one."""

from __future__ import annotations

from app.bench import consent_cost


async def test_the_socket_path_costs_less_than_aioices_and_aiortcs() -> None:
    results = await consent_cost.measure(rounds=3, block=50)
    for kind in ("consent check", "answer to our check", "RTCP RR"):
        old, new = results[kind]
        assert new < old, (kind, old, new)
