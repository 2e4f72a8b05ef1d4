"""Reading what origins wrote: the cluster directory and a room's volatile mirror."""

from app.server.cluster.api import Holder, MemberEntry, RoomListing, VolatileRoom
from app.server.cluster.keys import Keys
from app.server.cluster.link import RedisLink


async def directory(link: RedisLink, keys: Keys) -> list[RoomListing]:
    """Every listed room: its summary, who holds it now, its members per node.

    One set read and one pipeline of three reads per room; a node serving a
    room list to many clients should cache this for a moment.
    """
    room_ids = sorted(_text(r) for r in await link.call(lambda c: c.smembers(keys.rooms)))
    if not room_ids:
        return []
    pipe = link.client.pipeline(transaction=False)
    for room_id in room_ids:
        k = keys.room(room_id)
        pipe.get(k.listing)
        pipe.get(k.lease)
        pipe.hgetall(k.counts)
    values = await link.call(lambda c: pipe.execute())
    listings = []
    for i, room_id in enumerate(room_ids):
        summary, lease, counts = values[3 * i : 3 * i + 3]
        if summary is None:
            continue  # being closed, or listed again in a moment
        listings.append(
            RoomListing(
                room_id=room_id,
                summary=summary,
                origin=Holder.parse(lease.decode()) if lease else None,
                counts=_counts(counts),
            )
        )
    return listings


async def restore(link: RedisLink, keys: Keys, room_id: str) -> VolatileRoom | None:
    """The room's volatile part as its last origin left it; None if Redis has nothing."""
    k = keys.room(room_id)
    pipe = link.client.pipeline(transaction=False)
    pipe.get(k.seq)
    pipe.hget(k.epoch, "n")
    pipe.hgetall(k.members)
    pipe.hgetall(k.where)
    pipe.hgetall(k.counts)
    pipe.get(k.state)
    seq, epoch, members, where, counts, state = await link.call(lambda c: pipe.execute())
    if seq is None and epoch is None and not members and state is None:
        return None
    nodes = {int(uid): node.decode() for uid, node in where.items()}
    return VolatileRoom(
        seq=int(seq or 0),
        epoch=int(epoch or 0),
        members={int(uid): MemberEntry(nodes.get(int(uid)), data) for uid, data in members.items()},
        counts=_counts(counts),
        state=state,
    )


def _counts(raw: dict[bytes, bytes]) -> dict[str, int]:
    return {node.decode(): int(n) for node, n in raw.items() if int(n) > 0}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
