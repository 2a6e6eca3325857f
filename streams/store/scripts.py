"""The Lua scripts the store runs in Redis: a customer's load, save and "has open visits", each atomic.

Every key a script takes is one customer's (the hash tag ``{customer_id}``), so each runs in one
slot, on Redis Cluster too.
"""

from __future__ import annotations

from streams.store.keys import MARK_BYTES

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

# The header's version counts the customer's saves: a save names the version it was computed
# from (in ARGV[1], empty: unconditional) and is refused with -2 if the state moved on since
# (another worker saved it, an erasure deleted it), -1 if the customer is forgotten; otherwise
# it returns the new version.  This is what lets a worker keep customers in memory
# (streams.store.cache): a stale copy can never overwrite a newer state.
# ARGV[1]: ``<most bytes of marks>|<now, s>|<when the marks expire if new ones came, s>|<when the
# open visits expire, ms (empty: none)>|<the expected version (empty: none)>``, one argument
# because redis-py packs each argument in Python; 2 the new marks, 3 the packed state, 4 (if
# any) the outbox records as a JSON array [id, record, ...].
# Marks expire together (the dedupe TTL from the last save that added some), as the ``seen``
# key of the release before did; open visits expire after the session TTL, as its ``session``
# key did: both are checked against the clock when read.
SAVE = """
if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local most, now, new_until, session_until, expected = string.match(ARGV[1], '^(%d+)|(%d+)|(%d+)|(%d*)|(%d*)$')
now = tonumber(now)
local version, marks, marks_until = 0, '', ''
local kind = redis.call('TYPE', KEYS[1]).ok
local stored
if kind == 'string' then
  stored = redis.call('GET', KEYS[1])
  local v, mu, length, at = string.match(stored, '^T1|(%d+)|%d*|(%d*)|(%d+)|()')
  if not v then return redis.error_reply('tracker: unknown customer format in ' .. KEYS[1]) end
  version = tonumber(v)
  if mu ~= '' and tonumber(mu) >= now then
    marks, marks_until = string.sub(stored, at, at + tonumber(length) - 1), mu
  end
elseif kind == 'hash' then
  version = tonumber(redis.call('HGET', KEYS[1], '_v') or '0')
end
if expected ~= '' and tonumber(expected) ~= version then return -2 end
if kind == 'hash' then
  local digests = redis.call('GET', KEYS[5])
  if digests then
    local kept = {}
    for i = 1, #digests, 8 do kept[#kept + 1] = string.sub(digests, i, i + MARK_BYTES - 1) end
    marks, marks_until = table.concat(kept), new_until
  end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[5])
end
if #ARGV[2] > 0 then
  marks = marks .. ARGV[2]
  most = tonumber(most)
  if #marks > most then marks = string.sub(marks, #marks - most + 1) end
  marks_until = new_until
end
version = version + 1
redis.call('SET', KEYS[1], 'T1|' .. version .. '|' .. session_until .. '|' .. marks_until .. '|' .. #marks .. '|'
           .. marks .. ARGV[3])
if ARGV[4] then redis.call('HSET', KEYS[3], unpack(cjson.decode(ARGV[4]))) end
return version
""".replace("MARK_BYTES", str(MARK_BYTES))

# Whether a customer has open visits, from the header alone (the release before: the session key).
ALIVE = """
if redis.call('TYPE', KEYS[1]).ok == 'string' then
  local until_ = string.match(redis.call('GETRANGE', KEYS[1], 0, 63), '^T1|%d+|(%d*)|')
  if until_ and until_ ~= '' and tonumber(until_) > tonumber(ARGV[1]) then return 1 end
  return 0
end
return redis.call('EXISTS', KEYS[2])
"""
