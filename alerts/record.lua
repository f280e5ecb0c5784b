-- Record one article's validated events as pending entries of their metrics, atomically; decides nothing.
--
-- Exactly once: an article version already recorded adds nothing. Either way (and for an
-- article without events, which leaves no marker)
-- the article is no longer in flight. The marker that recognises the version
-- expires after the seen window (Settings.seen_ttl); the entries wait in their
-- metric's pending set (scored by publication time, members ordered by the
-- sort key that prefixes them) until settle.lua decides on them.
--
-- KEYS[1] processed versions of this article id (set)   KEYS[2] articles in flight (sorted set)
-- KEYS[3] metrics with pending entries (set)             KEYS[3 + i] metric i's pending entries (sorted set)
-- ARGV[1] JSON: {version, inflight, ttl, metrics: [id...], entries: [{m, score, member}...]}
--
-- Returns the number of entries recorded (0 for a version already recorded).

local p = cjson.decode(ARGV[1])

redis.call('ZREM', KEYS[2], p.inflight)
if #p.entries == 0 or redis.call('SISMEMBER', KEYS[1], p.version) == 1 then
  return 0  -- nothing to guard, or recorded already
end
for _, e in ipairs(p.entries) do
  redis.call('ZADD', KEYS[3 + e.m], e.score, e.member)
end
for _, id in ipairs(p.metrics) do
  redis.call('SADD', KEYS[3], id)
end
redis.call('SADD', KEYS[1], p.version)
if p.ttl > 0 then
  redis.call('EXPIRE', KEYS[1], p.ttl)
end
return #p.entries
