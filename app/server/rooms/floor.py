"""Floor control: one stage member heard at a time, the rest queue.

While a moderator has it on, push-to-talk asks for the floor. The first to
press holds it and is the only one heard (`permissions.may_be_heard`); who
presses meanwhile waits in the queue, first pressed first served, and their
app shows "waiting" and plays the busy cue. Releasing hands the floor to the
head of the queue after `GAP`. Anyone who stops being able to speak (lets go,
is muted, moved off stage, drops, leaves) leaves the queue, and a holder who
does hands over the same way, so `settle` after every command and tick is
the one place that keeps the floor in line with the room.

A moderator's press (`permissions.is_moderator`) takes the floor at once, even in
the gap; the holder they interrupt, still pressing, goes to the head of the
queue to resume afterwards. With `max_turn` set, a turn that long ends when
someone is waiting: the holder, still pressing, goes to the tail. With nobody
waiting the turn goes on, since handing the floor to no one only makes
silence.

The queue does not survive a dropped connection: dropping lets go of the key
(`lifecycle.disconnect`), and the client presses again once back, at the
tail. Its key state while away is unknown, and a place held for someone who
cannot speak would stall everyone behind them.

The clock is passed in; `due` tells the shell when the next handover or turn
end falls, so that it runs `tick` then rather than on its half-second beat.
"""

from app.protocol.events import AnyRoomEvent, FloorChanged
from app.server.rooms.permissions import is_moderator, may_hold_floor
from app.server.rooms.state import Member, Room
from app.server.rooms.views import floor_view

# Between one turn and the next. Long enough that the last syllable of the
# speaker who let go (still in the jitter buffers, ~100-200 ms behind) is not
# cut by the next voice and listeners hear a change of speaker; short enough
# not to feel like a stall (a conversational turn gap is ~200-500 ms).
GAP = 0.3

FloorKey = tuple[bool, float | None, int | None, tuple[int, ...]]


def key(room: Room) -> FloorKey:
    """What clients are shown of the floor, to tell whether it changed."""
    return (room.floor_control, room.max_turn, room.floor_holder, tuple(room.floor_queue))


def set_floor_control(
    room: Room, me: Member, enabled: bool, max_turn: float | None, now: float
) -> list[AnyRoomEvent]:
    before = key(room)
    room.max_turn = max_turn
    if enabled and not room.floor_control:
        room.floor_control = True
        # Whoever is talking now queues in user-id order, the first holds the floor.
        room.floor_queue = sorted(m.user_id for m in room.stage() if m.ptt_held)
        room.floor_free_at = now
    elif not enabled:
        room.floor_control = False
        _clear(room)
    settle(room, now)
    return [FloorChanged(floor=floor_view(room), by=me.user_id)] if key(room) != before else []


def press(room: Room, me: Member, pressed: bool, now: float) -> list[AnyRoomEvent]:
    """Push-to-talk under floor control: ask for the floor, or give it up."""
    before = key(room)
    me.ptt_held = pressed
    if not room.floor_control:
        return []  # nobody is told: who is heard shows in the speaking levels
    took = False
    if pressed and room.floor_holder != me.user_id:
        if me.user_id in room.floor_queue:
            pass  # a repeated press keeps its place
        elif is_moderator(me) and may_hold_floor(room, me.user_id):
            interrupted = room.floor_holder
            _grant(room, me.user_id, now)
            if interrupted is not None:
                room.floor_queue.insert(0, interrupted)
            took = True
        else:
            room.floor_queue.append(me.user_id)
    settle(room, now)
    if key(room) == before:
        return []
    return [FloorChanged(floor=floor_view(room), by=me.user_id if took else None)]


def settle(room: Room, now: float) -> None:
    """Bring the floor in line with the room: drop who can no longer speak,
    end an overlong turn, hand over once the gap is past."""
    if not room.floor_control:
        return
    holder = room.floor_holder
    if holder is not None and not may_hold_floor(room, holder):
        _release(room, now)
    room.floor_queue = [u for u in dict.fromkeys(room.floor_queue) if may_hold_floor(room, u)]
    holder = room.floor_holder
    if (
        holder is not None
        and room.max_turn is not None
        and room.floor_queue
        and room.floor_since is not None
        and now >= room.floor_since + room.max_turn  # as `due` computes it
    ):
        _release(room, now)
        room.floor_queue.append(holder)
    if room.floor_holder is None and room.floor_queue and now >= room.floor_free_at:
        _grant(room, room.floor_queue[0], now)


def due(room: Room) -> float | None:
    """When the floor next changes by itself (a handover, a turn's end); None: never."""
    if not room.floor_control or not room.floor_queue:
        return None
    if room.floor_holder is None:
        return room.floor_free_at
    if room.max_turn is not None and room.floor_since is not None:
        return room.floor_since + room.max_turn
    return None


def changed(room: Room, before: FloorKey) -> list[AnyRoomEvent]:
    """A floor_changed if the floor moved since `before` (for commands that move it indirectly)."""
    return [FloorChanged(floor=floor_view(room))] if key(room) != before else []


def _grant(room: Room, user_id: int, now: float) -> None:
    room.floor_holder = user_id
    room.floor_since = now
    room.floor_queue = [u for u in room.floor_queue if u != user_id]


def _release(room: Room, now: float) -> None:
    room.floor_holder = None
    room.floor_since = None
    room.floor_free_at = now + GAP


def _clear(room: Room) -> None:
    room.floor_holder = None
    room.floor_since = None
    room.floor_queue = []
    room.floor_free_at = 0.0
