"""The playout buffer with hand-built arrival sequences (payload = sequence number)."""

import itertools

from app.dsp.jitter_buffer import PlayoutBuffer, PlayoutStep, Slot

F = 0.020


def buffer(**kw: float) -> PlayoutBuffer[int]:
    return PlayoutBuffer[int](min_delay_ms=4.0, initial_delay_ms=4.0, **kw)  # type: ignore[arg-type]


def run(
    buf: PlayoutBuffer[int], arrivals: list[tuple[int, float]], pulls: int, phase: float = 0.010
) -> list[Slot[int]]:
    """Feed packets (seq, arrival) and pull every 20 ms at ``phase``, in time order."""
    events = sorted(arrivals, key=lambda a: a[1])
    out: list[Slot[int]] = []
    i = 0
    for k in range(pulls):
        now = k * F + phase
        while i < len(events) and events[i][1] <= now:
            seq, t = events[i]
            buf.put(seq & 0xFFFF, (seq * 960) & 0xFFFFFFFF, seq, t)
            i += 1
        out.append(buf.get(now))
    return out


def played(slots: list[Slot[int]]) -> list[int]:
    return [s.payloads[-1] for s in slots if s.action is PlayoutStep.PLAY]


def test_steady_stream_plays_every_packet_in_order_with_short_wait() -> None:
    buf = buffer()
    slots = run(buf, [(n, n * F + 0.001) for n in range(100)], 100)
    assert played(slots) == list(range(100))
    assert buf.stats.concealed == 0 and buf.stats.lost == 0
    assert 4.0 <= buf.stats.delay_ms < 4.0 + 20.0


def test_reordered_packets_are_put_back_in_order() -> None:
    arrivals = [(n, n * F + 0.001) for n in range(20)]
    arrivals[5], arrivals[6] = (5, 6 * F + 0.002), (6, 6 * F + 0.001)  # 6 overtakes 5
    buf = buffer()
    slots = run(buf, arrivals, 25)
    assert played(slots) == list(range(20))
    assert buf.stats.lost == 0 and buf.stats.late == 0


def test_loss_is_concealed_once_and_counted() -> None:
    buf = buffer()
    arrivals = [(n, n * F + 0.001) for n in range(30) if n != 10]
    slots = run(buf, arrivals, 31)
    assert played(slots) == [n for n in range(30) if n != 10]
    assert buf.stats.lost == 1
    # One stall (is 10 late?), then 10 is skipped once 11 is there.
    assert buf.stats.concealed == 2 and buf.stats.underruns == 1


def test_late_packet_is_counted_and_grows_the_delay() -> None:
    buf = buffer()
    arrivals = [(n, n * F + 0.001) for n in range(40)]
    arrivals[10] = (10, 12 * F + 0.005)  # after its slot and after 11 arrived
    slots = run(buf, arrivals, 45)
    assert buf.stats.late == 1 and buf.stats.lost == 0
    assert 10 not in played(slots)
    assert played(slots)[-1] == 39
    before = buf.stats.delay_ms
    assert before >= 20.0  # the stall made every later packet wait a frame more


def test_underrun_stalls_then_resumes_without_skipping() -> None:
    buf = buffer()
    arrivals = [(n, n * F + 0.001 + (0.030 if n >= 10 else 0.0)) for n in range(40)]
    slots = run(buf, arrivals, 50)
    assert played(slots) == list(range(40))  # nothing lost: the buffer waited
    assert buf.stats.underruns >= 1 and buf.stats.lost == 0


def test_target_follows_jitter() -> None:
    buf = buffer()
    # Every other packet 12 ms late: inter-arrival deviation of 12 ms.
    arrivals = [(n, n * F + 0.001 + (0.012 if n % 2 else 0.0)) for n in range(200)]
    slots = run(buf, arrivals, 205)
    assert buf.stats.jitter_ms >= 11.0
    assert buf.target_delay_ms >= 12.0
    assert buf.stats.late == 0
    assert played(slots)[-1] == 199
    calm = buffer()
    run(calm, [(n, n * F + 0.001) for n in range(200)], 205)
    assert calm.target_delay_ms < 6.0


def test_excess_delay_shrinks_slowly_during_silence() -> None:
    buf = buffer(shrink_interval=1.0)
    # A 100 ms burst at the start leaves ~5 frames too many queued.
    arrivals = [(n, max(n * F, 0.100) + 0.001) for n in range(400)]
    events = sorted(arrivals, key=lambda a: a[1])
    i, drops_at = 0, []
    for k in range(405):
        now = k * F + 0.010
        while i < len(events) and events[i][1] <= now:
            seq, t = events[i]
            buf.put(seq, seq * 960, seq, t)
            i += 1
        slot = buf.get(now, quiet=True)
        if slot.action is PlayoutStep.PLAY and len(slot.payloads) > 1:
            drops_at.append(now)
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(drops_at))
    assert buf.stats.dropped >= 4
    assert buf.stats.delay_ms < 4.0 + 20.0
    assert buf.stats.lost == 0 and buf.stats.late == 0


def test_idle_after_sender_stops_then_new_talkspurt_starts_after_target() -> None:
    buf = buffer()
    first = [(n, n * F + 0.001) for n in range(20)]
    second = [(n, n * F + 1.001) for n in range(20, 40)]  # same numbering, 1 s later
    slots = run(buf, first + second, 90)
    assert played(slots) == list(range(40))
    silent = [s for s in slots[25:50] if s.action is PlayoutStep.SILENCE]
    assert len(silent) >= 20  # idle between the talkspurts: silence, not concealment
    assert buf.stats.concealed <= 3


def test_sequence_wraparound_and_duplicates() -> None:
    buf = buffer()
    arrivals = [(65530 + n, n * F + 0.001) for n in range(12)]
    arrivals.append((65533, 3 * F + 0.002))
    slots = run(buf, arrivals, 15)
    assert played(slots) == [65530 + n for n in range(12)]
    assert buf.stats.duplicates == 1
