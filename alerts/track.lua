-- Put articles in flight (queued, not yet recorded), unless their version was recorded already.
--
-- KEYS[1] articles in flight (sorted set)   KEYS[1 + i] processed versions of article i (set)
-- ARGV: member, score, version for each article, in KEYS order
--
-- Returns the members added.

local added = {}
for i = 2, #KEYS do
  local member, score, version = ARGV[3 * i - 5], ARGV[3 * i - 4], ARGV[3 * i - 3]
  if redis.call('SISMEMBER', KEYS[i], version) == 0 then
    if redis.call('ZADD', KEYS[1], 'NX', score, member) == 1 then
      table.insert(added, member)
    end
  end
end
return added
