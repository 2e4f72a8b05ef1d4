"""The Lua scripts that make each cluster operation one atomic step in Redis.

Fencing lives here: every write an origin makes for a room (an event, a
reply to a forwarded request, the volatile mirror, the directory entry, the
room's end) first checks that the room's lease still holds the origin's own
token, NODE:EPOCH, and does nothing otherwise: it returns -1 when another
token is there, -2 when the key is gone (Redis restarted empty, or the lease
ran out): then the write is only unsent, and the origin's next renewal
either re-establishes the lease (and rewrites what was missed) or finds it lost. A node that was
paused past its lease, or cut off from Redis while another node took the
room, is refused here whatever it believes about itself.

Scripts are sent whole (EVAL; Redis keeps each one compiled, keyed by its
hash) rather than by EVALSHA: a Redis that restarted has forgotten every
loaded script, and repeating only the calls NOSCRIPT refused could reorder
a room's events. They are a few hundred bytes each.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

Arg = str | bytes | int | float

# The lease: returns {1, epoch} when acquired, else {0, holder, ms left}.
# The epoch is one more than any issued before for this room, and more than
# `floor`: the caller's floor is the highest epoch it knows from elsewhere
# (the store), so that a Redis that lost its data never issues an old epoch.
ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held then return {0, held, redis.call('PTTL', KEYS[1])} end
local n = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
local floor = tonumber(ARGV[3])
if floor > n then n = floor end
n = n + 1
redis.call('HSET', KEYS[2], 'n', n, 'by', ARGV[1])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. n, 'PX', ARGV[2])
return {1, n}
"""

# Renewal: {1} extended; {2} re-established (the key was gone, e.g. Redis
# restarted or the lease ran out, and no newer epoch was issued since, so
# nobody else can have held the room); {0, holder} lost.
RENEW = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {1}
end
if held then return {0, held} end
local issued = redis.call('HMGET', KEYS[2], 'n', 'by')
local n = tonumber(issued[1] or '0')
local mine = tonumber(ARGV[3])
if n > mine or (n == mine and issued[2] ~= ARGV[2]) then return {0, ''} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
if n < mine then redis.call('HSET', KEYS[2], 'n', mine, 'by', ARGV[2]) end
return {2}
"""

# Giving the room up also marks the epoch as given up, so that a renewal
# still in flight cannot re-establish it (see RENEW). KEYS: lease, epoch.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'by', '')
return 1
"""

# An event: the last seq and the publication in one step, fenced (a notice,
# seq 0, leaves the seq alone).
# Returns how many nodes received it, or -1.
PUBLISH = """
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] then return held and -1 or -2 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], ARGV[3]) end
return redis.call('SPUBLISH', ARGV[2], ARGV[4])
"""

# A forwarded request, sent only if the lease is still the one the sender
# read; a reply, sent only by the lease's holder. Both return how many
# nodes received it (0: nobody is listening there), or -1.
SEND = """
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] then return held and -1 or -2 end
return redis.call('SPUBLISH', ARGV[2], ARGV[3])
"""

# The volatile mirror. ARGV: token, reset (1: start from empty), then the
# number of upserts and (user, node or '', data) for each, then the number
# of removals and their users, then 1 and the room's state, or 0.
# KEYS: lease, members, where, counts, state. Counts per node follow the
# `where` hash, so they are always the tally of it.
MIRROR = """
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] then return held and -1 or -2 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5]) end
local function move(uid, new)
  local old = redis.call('HGET', KEYS[3], uid)
  if old == new then return end
  if old then
    if redis.call('HINCRBY', KEYS[4], old, -1) <= 0 then redis.call('HDEL', KEYS[4], old) end
  end
  if new then
    redis.call('HINCRBY', KEYS[4], new, 1)
    redis.call('HSET', KEYS[3], uid, new)
  else
    redis.call('HDEL', KEYS[3], uid)
  end
end
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  local node = ARGV[i + 1]
  if node == '' then node = false end
  move(ARGV[i], node)
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  i = i + 3
end
local removals = tonumber(ARGV[i])
i = i + 1
for _ = 1, removals do
  move(ARGV[i], false)
  redis.call('HDEL', KEYS[2], ARGV[i])
  i = i + 1
end
if ARGV[i] == '1' then redis.call('SET', KEYS[5], ARGV[i + 1]) end
return 1
"""

LIST = """
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] then return held and -1 or -2 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""

# The room ended: everything but the epoch counter goes (kept a week, so a
# late takeover of the same id still gets a higher epoch).
# KEYS: lease, epoch, then the keys to delete.
CLOSE = """
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] then return held and -1 or -2 end
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('PEXPIRE', KEYS[2], 604800000)
redis.call('HSET', KEYS[2], 'by', '')
redis.call('DEL', KEYS[1])
return 1
"""

# Node registry, on Redis's clock so that nodes' clocks need not agree.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
HEARTBEAT = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return now
"""
)
# The live nodes' infos, after dropping those whose heartbeat ran out.
ALIVE = (
    _NOW
    + """
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(dead) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local alive = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
if #alive == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(alive))
"""
)


@dataclass(frozen=True, slots=True)
class Call:
    """One script run: its source, keys and arguments."""

    script: str
    keys: Sequence[str]
    args: Sequence[Arg]


async def run(client: "Redis", call: Call) -> Any:
    return await client.eval(call.script, len(call.keys), *call.keys, *call.args)


async def run_batch(client: "Redis", calls: Sequence[Call]) -> list[Any]:
    """Scripts in one round trip, run in order; each result, or the exception it raised."""
    pipe = client.pipeline(transaction=False)
    for call in calls:
        pipe.eval(call.script, len(call.keys), *call.keys, *call.args)
    results: list[Any] = await pipe.execute(raise_on_error=False)
    return results
