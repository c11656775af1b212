//! The Lua scripts of [`super::RedisStore`]: each write keeps an entry and its kind's index in
//! step in one atomic step, one round trip.
//!
//! Every script names its keys in `KEYS` (never builds a key name inside), and the keys of one
//! run are an entry and its kind's index, or one index: all under one hash tag, so in one hash
//! slot, as a Redis Cluster requires of a script.

use ::redis::Script;

/// `SET` (with `NX` when ARGV[3] is 1, `PX` when ARGV[2] > 0) and the index entry, together.
/// KEYS: entry, index. ARGV: key, ttl ms (0 for none), nx, value. Returns 1 when written.
const PUT: &str = r"
local ttl = tonumber(ARGV[2])
local set = {'SET', KEYS[1], ARGV[4]}
if ARGV[3] == '1' then table.insert(set, 'NX') end
if ttl > 0 then
  table.insert(set, 'PX')
  table.insert(set, ttl)
end
if not redis.call(unpack(set)) then return 0 end
local score = '+inf'
if ttl > 0 then
  local t = redis.call('TIME')
  score = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
return 1
";

/// Compare and set: `SET` (with `PX` when ARGV[2] > 0) only when the entry is exactly ARGV[3],
/// and the index entry. KEYS: entry, index. ARGV: key, ttl ms (0 for none), expected, value.
/// Returns 1 when written.
const REPLACE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[3] then return 0 end
local ttl = tonumber(ARGV[2])
local score = '+inf'
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
  local t = redis.call('TIME')
  score = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
else
  redis.call('SET', KEYS[1], ARGV[4])
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
return 1
";

/// `GETDEL` and the index entry's removal. KEYS: entry, index. ARGV: key.
const TAKE: &str = r"
local v = redis.call('GETDEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return v
";

/// `DEL` and the index entry's removal. KEYS: entry, index. ARGV: key. Returns 1 when deleted.
const REMOVE: &str = r"
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
";

/// `INCRBY`; a counter it creates gets the TTL and an index entry. KEYS: entry, index.
/// ARGV: key, by, ttl ms. Returns the new value.
const INCR: &str = r"
local fresh = redis.call('EXISTS', KEYS[1]) == 0
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if fresh then
  local ttl = tonumber(ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl)
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl, ARGV[1])
end
return n
";

/// Trims the expired members of the index in KEYS[1]; returns how many went. One index per
/// run: the kinds' indexes sit in different hash slots, which one script may not span in a
/// cluster.
const TRIM: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
";

/// Trims the expired members of the index in KEYS[1], then counts the rest.
const COUNT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
";

/// Takes a slot of a spaced schedule (KEYS[1]) when its time has come, by Redis's clock (one
/// clock for every process): when the next slot is due, sets the one after it ARGV[1]
/// microseconds from now and returns 0; else returns the microseconds until it is due. The
/// key expires a second after its slot, so an idle schedule leaves nothing behind.
const SLOT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if due > now then return due - now end
local spacing = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', now + spacing), 'PX', math.floor(spacing / 1000) + 1000)
return 0
";

/// The Lua scripts, each sent once and then run by its hash (`EVALSHA`, reloaded after a
/// server restart empties the script cache).
pub(super) struct Scripts {
    pub(super) put: Script,
    pub(super) replace: Script,
    pub(super) take: Script,
    pub(super) remove: Script,
    pub(super) incr: Script,
    pub(super) trim: Script,
    pub(super) count: Script,
    pub(super) slot: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            put: Script::new(PUT),
            replace: Script::new(REPLACE),
            take: Script::new(TAKE),
            remove: Script::new(REMOVE),
            incr: Script::new(INCR),
            trim: Script::new(TRIM),
            count: Script::new(COUNT),
            slot: Script::new(SLOT),
        }
    }
}
