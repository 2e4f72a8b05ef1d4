"""A small run of the cluster benchmark, so that its code keeps working:
three real nodes, real clients (and real audio links), one kill -9, every
figure filled in."""

import random

import pytest

from app.bench import cluster
from app.bench.cluster_phases import POLL
from tests.support.redis import RedisServer

pytestmark = pytest.mark.postgres


@pytest.mark.timeout(600)  # three server processes start, one twice
async def test_three_nodes_a_small_audience_and_one_kill(
    postgres_url: str, own_redis: RedisServer
) -> None:
    base = random.randrange(20000, 29000, 10)
    result = await cluster.run(postgres_url, own_redis.port, [9, 18], kills=1, base_port=base)
    assert set(result.commands_per_event) == {9, 18}
    # A co-host's command through another node: the request, the event and
    # the reply, each one SPUBLISH, however many listen (and a notice or so).
    spub = result.spublish_per_event
    assert all(3.0 <= r < 5.0 for r in spub.values()) and abs(spub[9] - spub[18]) < 1, spub
    assert all(r >= 3.0 for r in result.commands_per_event.values()), result
    # Less the background loops' idle rate: still the request, the event and
    # the reply; the idle windows really counted something (renewals at least).
    net = result.net_spublish_per_event
    assert all(2.5 < r < 5.0 for r in net.values()), net
    assert all(w.idle_per_second > 1 for w in result.windows.values())
    assert [s.joined for s in result.storms] == [9, 9]
    assert len(result.rejoins) == 1 and result.rejoins[0][1] == result.rejoins[0][0] > 0
    # The failover's marks: the lease ran out, another node took it, both links
    # saw the new epoch and connected again, in that order. The lease key is
    # polled every POLL, so "new origin" is seen up to a poll after the node
    # took it: a quick takeover's first event may reach the ear before that.
    marks = result.marks[0]
    assert 0 < marks["lease due"] <= marks["new origin"] < marks["ear moved"] + POLL, marks
    assert marks["speaker connected"] <= marks["heard"], marks
    if "ear offered" in marks:
        # The ear's own node took the room over: offer_again, a local re-offer.
        assert marks["ear answered"] < marks["ear connected"] <= marks["heard"], marks
    else:
        # The ear's node relays the room: it followed the new origin, the
        # ear's link stayed up (no phase of its own after "moved").
        assert "ear answered" not in marks and "ear connected" not in marks, marks
    assert len(result.join_cpu_ms) == 6 and all(v >= 0 for v in result.join_cpu_ms.values())
    assert len(result.failovers) == 1 and 0 < result.failovers[0] < 15
    # Heard again: the tone stopped with the origin and came back (cluster_voices).
    assert len(result.heard_again) == 1 and 0 < result.heard_again[0] < 15
    assert result.lost == [] and result.errors == []
    text = cluster.markdown(result)
    assert "| 18 |" in text and "kill -9" in text and "hears a speaker" in text
    assert "the lease runs out" in text and "| spublish |" in text
