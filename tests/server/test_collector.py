"""The collector policy: survivors of a full collection are frozen out of the
next one's way, and everything is unfrozen again every `refresh` seconds."""

import gc
import time
from collections.abc import Iterator

import pytest

from app.server.collector import CollectorPolicy


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # leave the test process as it was


def test_a_full_collection_walks_only_what_was_made_since_the_last() -> None:
    now = [0.0]
    policy = CollectorPolicy(refresh=600.0, clock=lambda: now[0])
    policy.start()
    kept = [{"n": [i]} for i in range(200_000)]  # long-lived, as connections are
    gc.collect()
    policy.check(1.0)
    frozen = gc.get_freeze_count()
    assert frozen >= 2 * len(kept)  # each dict and its list
    # The next full collection no longer walks them: far quicker than one
    # that does (compared in one run, not against a fixed time).
    started = time.perf_counter()
    gc.collect()
    walked_since = time.perf_counter() - started
    gc.unfreeze()
    started = time.perf_counter()
    gc.collect()
    walked_all = time.perf_counter() - started
    assert walked_since < walked_all / 3
    del kept


def test_everything_is_walked_again_every_refresh() -> None:
    now = [0.0]
    policy = CollectorPolicy(refresh=600.0, clock=lambda: now[0])
    policy.start()
    assert gc.get_freeze_count() > 0
    policy.check(599.0)
    assert gc.get_freeze_count() > 0
    policy.check(600.0)
    assert gc.get_freeze_count() == 0


def test_no_full_collection_freezes_nothing_more() -> None:
    now = [0.0]
    policy = CollectorPolicy(refresh=600.0, clock=lambda: now[0])
    policy.start()
    before = gc.get_freeze_count()
    made = [{"n": [i]} for i in range(1000)]
    gc.collect(0)  # a young collection is not a reason to freeze
    policy.check(1.0)
    assert gc.get_freeze_count() == before
    del made
