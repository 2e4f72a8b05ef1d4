"""The playout buffer hands the decoder the packet after a lost one, for its FEC."""

from app.dsp.jitter_buffer import PlayoutBuffer, PlayoutStep

F = 0.020


def test_a_lost_packet_comes_with_its_successor_for_fec() -> None:
    buf = PlayoutBuffer[int](min_delay_ms=4.0, initial_delay_ms=30.0)
    slots = []
    for n in range(12):
        if n != 5:  # packet 5 never arrives
            buf.put(n, n * 960, n, n * F)
        slots.append(buf.get(n * F + 0.001))
    # Allow for the start delay: find packet 4's slot, then the next two.
    at = next(i for i, s in enumerate(slots) if s.payloads == (4,))
    lost, after = slots[at + 1], slots[at + 2]
    assert lost.action is PlayoutStep.CONCEAL and lost.fec == 6
    assert after.action is PlayoutStep.PLAY and after.payloads == (6,)  # still played itself
    assert buf.stats.lost == 1


def test_an_underrun_has_nothing_to_recover_from() -> None:
    buf = PlayoutBuffer[int](min_delay_ms=4.0, initial_delay_ms=4.0)
    for n in range(3):
        buf.put(n, n * 960, n, n * F)
        buf.get(n * F + 0.005)
    slot = buf.get(3 * F + 0.005)  # packet 3 is not here, nor anything after it
    assert slot.action is PlayoutStep.CONCEAL and slot.fec is None
