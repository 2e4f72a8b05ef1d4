"""The cluster layer's pure parts: names, backoff, config, envelopes."""

import random

import pytest
from redis.crc import key_slot

from app.server.cluster import ClusterConfig, Health, Holder, wire
from app.server.cluster.backoff import Backoff
from app.server.cluster.keys import Keys


def test_a_rooms_keys_and_channels_share_one_slot() -> None:
    room = Keys.for_database("panggung", 3).room("AbC-12_x")
    names = [room.lease, room.epoch, room.seq, room.listing, room.events, room.rpc]
    names += [*room.mirror(), room.replies("node-1")]
    assert len({key_slot(name.encode()) for name in names}) == 1
    assert len(set(names)) == len(names)
    other = Keys.for_database("panggung", 3).room("another")
    assert key_slot(other.lease.encode()) != key_slot(room.lease.encode())


def test_names_carry_the_database() -> None:
    keys = Keys.for_database("panggung", 3)
    assert Keys.for_database("panggung", 4).room("r").events != keys.room("r").events
    with pytest.raises(ValueError, match="braces"):
        keys.room("a}b")


def test_backoff_doubles_to_its_cap_with_full_jitter() -> None:
    backoff = Backoff(0.05, 2.0, random.Random(7))
    assert [backoff.ceiling(n) for n in range(7)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert backoff.ceiling(10_000) == 2.0
    draws = [backoff.delay(8) for _ in range(2000)]
    assert all(0.0 <= d <= 2.0 for d in draws)
    # Spread over the whole range, not bunched: what keeps reconnects apart.
    assert 0.9 < sum(draws) / len(draws) < 1.1
    assert min(draws) < 0.1 and max(draws) > 1.9
    with pytest.raises(ValueError):
        Backoff(0.0, 1.0)


def test_holder_tokens_round_trip() -> None:
    assert Holder.parse("host-a-1f2e:17") == Holder("host-a-1f2e", 17)
    assert Holder.parse(Holder("odd:name", 3).token) == Holder("odd:name", 3)


def test_health_says_since_when_redis_is_unreachable() -> None:
    assert Health(ok=True).describe() == "ok"
    assert Health(ok=False, since=0.0).describe() == (
        "degraded: redis unreachable since 1970-01-01T00:00:00Z"
    )


def test_config_checks_its_timings_and_url() -> None:
    config = ClusterConfig(redis_url="redis://127.0.0.1:6379/5", url="ws://a/ws", name="a")
    assert config.database == 5
    assert config.new_node_id() != config.new_node_id()
    assert config.new_node_id().startswith("a-")
    with pytest.raises(ValueError, match="renew_interval"):
        ClusterConfig(redis_url="redis://h/0", url="", lease_ttl=1.0, renew_interval=1.0)
    with pytest.raises(ValueError, match="not a Redis URL"):
        ClusterConfig(redis_url="postgresql://h/db", url="")


def test_envelopes_round_trip() -> None:
    event = wire.EventEnvelope(3, 41, b'{"type":"event"}')
    assert wire.decode_event(wire.encode(event)) == event
    request = wire.RequestEnvelope(9, "node-1", 3, b"body")
    assert wire.decode_request(wire.encode(request)) == request
    reply = wire.ReplyEnvelope(9, False, b"ValueError: no")
    assert wire.decode_reply(wire.encode(reply)) == reply
    # A few bytes over the frame itself.
    assert len(wire.encode(event)) - len(event.frame) < 10
