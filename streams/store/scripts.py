"""The Lua scripts the store runs in Redis: a customer's load, save and "has open visits", each atomic.

Every key the load, save and alive scripts take is one customer's (the hash tag
``{customer_id}``), so each runs in one slot, on Redis Cluster too.  The partition's save writes
many customers and its partition's keys in one step: standalone Redis only.
"""

from __future__ import annotations

from streams.store.keys import MARK_BYTES, script_keys


def _keys_of_id() -> str:
    """Lua for the keys of the customer ``id`` in ``keys.script_keys``' order (the one place that spells them)."""
    return ", ".join("'" + key.replace("@", "' .. id .. '") + "'" for key in script_keys("@"))

# A customer is one string (``keys.profile_key``): ``T1|<version>|<session until, ms>|<marks
# until, s>|<marks length>|`` then the dedupe marks, then the packed profile and open visits
# (:mod:`streams.store.packed`).  The header is text so the scripts can read it with a pattern
# and an operator with ``redis-cli GETRANGE <key> 0 60``; the marks sit before the payload so a
# save can replace the payload and keep them without decoding anything.
# A customer saved by the release before is a hash (with a session hash and 8-byte digests
# beside it): read as it is, and rewritten as one string at its next save.
LOAD = """
local outbox = redis.call('HGETALL', KEYS[3])
local forgotten = redis.call('EXISTS', KEYS[4])
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  return {outbox, forgotten, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]),
          redis.call('GET', KEYS[5]) or ''}
end
return {outbox, forgotten, redis.call('GET', KEYS[1]) or ''}
"""

# One customer's save, shared by the script that saves one customer (Redis Cluster: every key
# of a customer in its slot) and the one that saves a partition's customers at once.
# ``k``: the customer's keys in ``keys.script_keys``' order; ``head``: ``<most bytes of marks>|<now,
# s>|<when the marks expire if new ones came, s>|<when the open visits expire, ms (empty: none)>|<the
# expected version (empty: none)>``, one argument because the client packs each argument;
# ``new_marks`` the handled events' marks, ``payload`` the packed state, ``outbox`` (if not empty)
# the outbox records as a JSON array [id, record, ...].
_SAVE_ONE = """
local function save_one(k, head, new_marks, payload, outbox)
  if redis.call('EXISTS', k[4]) == 1 then return -1 end
  local most, now, new_until, session_until, expected = string.match(head, '^(%d+)|(%d+)|(%d+)|(%d*)|(%d*)$')
  now = tonumber(now)
  local version, marks, marks_until = 0, '', ''
  local kind = redis.call('TYPE', k[1]).ok
  local stored
  if kind == 'string' then
    stored = redis.call('GET', k[1])
    local v, mu, length, at = string.match(stored, '^T1|(%d+)|%d*|(%d*)|(%d+)|()')
    if not v then return redis.error_reply('tracker: unknown customer format in ' .. k[1]) end
    version = tonumber(v)
    if mu ~= '' and tonumber(mu) >= now then
      marks, marks_until = string.sub(stored, at, at + tonumber(length) - 1), mu
    end
  elseif kind == 'hash' then
    version = tonumber(redis.call('HGET', k[1], '_v') or '0')
  end
  if expected ~= '' and tonumber(expected) ~= version then return -2 end
  if kind == 'hash' then
    local digests = redis.call('GET', k[5])
    if digests then
      local kept = {}
      for i = 1, #digests, 8 do kept[#kept + 1] = string.sub(digests, i, i + MARK_BYTES - 1) end
      marks, marks_until = table.concat(kept), new_until
    end
    redis.call('DEL', k[1], k[2], k[5])
  end
  if #new_marks > 0 then
    marks = marks .. new_marks
    most = tonumber(most)
    if #marks > most then marks = string.sub(marks, #marks - most + 1) end
    marks_until = new_until
  end
  version = version + 1
  redis.call('SET', k[1], 'T1|' .. version .. '|' .. session_until .. '|' .. marks_until .. '|' .. #marks .. '|'
             .. marks .. payload)
  if outbox and #outbox > 0 then redis.call('HSET', k[3], unpack(cjson.decode(outbox))) end
  return version
end
""".replace("MARK_BYTES", str(MARK_BYTES))

# The header's version counts the customer's saves: a save names the version it was computed
# from (empty: unconditional) and is refused with -2 if the state moved on since (another
# worker saved it, an erasure deleted it), -1 if the customer is forgotten; otherwise it
# returns the new version.  This is what lets a worker keep customers in memory
# (streams.store.cache): a stale copy can never overwrite a newer state.
# KEYS: the customer's (``keys.script_keys``); ARGV: head, new marks, packed state, outbox (see above).
# Marks expire together (the dedupe TTL from the last save that added some), as the ``seen``
# key of the release before did; open visits expire after the session TTL, as its ``session``
# key did: both are checked against the clock when read.
SAVE = _SAVE_ONE + """
return save_one(KEYS, ARGV[1], ARGV[2], ARGV[3], ARGV[4])
"""

# A partition's changed customers, their deadlines and the partition's input offsets, in one
# atomic step, fenced: on a standalone Redis, where one script may write any key.
# KEYS: the partition's fencing counter, deadlines and offsets (``keys.fence_key`` ...).
# ARGV[1]: the writer's fencing token (empty: not fenced); if a newer one was taken since
# (another worker was assigned the partition), nothing is written and every customer's reply is
# -3.  ARGV[2]: the offsets ``[topic, offset, ...]`` as JSON (empty: none), written (never moved
# back) only if no customer was refused, so that a refused customer's events are read again
# after a crash.  ARGV[3]: the header's common part ``<most>|<now>|<marks until>|``.  Then 7 per
# customer: id, open visits until (ms, empty: none), expected version, new marks, packed state,
# outbox JSON, and the deadline (a score; empty: none; ``-``: left alone).  A refused customer
# whose deadline was not to be left alone is due at once, so the timer looks at the stored state.
SAVE_PARTITION = _SAVE_ONE + """
local n = (#ARGV - 3) / 7
local replies = {}
if ARGV[1] ~= '' and tonumber(redis.call('GET', KEYS[1]) or '0') > tonumber(ARGV[1]) then
  for i = 1, n do replies[i] = -3 end
  return replies
end
local refused = false
for i = 0, n - 1 do
  local a = 4 + i * 7
  local id = ARGV[a]
  local k = {KEYS_OF_ID}
  local reply = save_one(k, ARGV[3] .. ARGV[a + 1] .. '|' .. ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
  if type(reply) == 'table' then return reply end
  replies[i + 1] = reply
  local due = ARGV[a + 6]
  if reply < 0 then
    refused = true
    if due ~= '-' then redis.call('ZADD', KEYS[2], 0, id) end
  elseif due == '' then
    redis.call('ZREM', KEYS[2], id)
  elseif due ~= '-' then
    redis.call('ZADD', KEYS[2], due, id)
  end
end
if ARGV[2] ~= '' and not refused then
  local offsets = cjson.decode(ARGV[2])
  for i = 1, #offsets, 2 do redis.call('ZADD', KEYS[3], 'GT', offsets[i + 1], offsets[i]) end
end
return replies
""".replace("KEYS_OF_ID", _keys_of_id())

# Whether a customer has open visits, from the header alone (the release before: the session key).
ALIVE = """
if redis.call('TYPE', KEYS[1]).ok == 'string' then
  local until_ = string.match(redis.call('GETRANGE', KEYS[1], 0, 63), '^T1|%d+|(%d*)|')
  if until_ and until_ ~= '' and tonumber(until_) > tonumber(ARGV[1]) then return 1 end
  return 0
end
return redis.call('EXISTS', KEYS[2])
"""
