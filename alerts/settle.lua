-- Settle the metrics with pending entries: decide on them, oldest first, record history, publish alerts, atomically.
--
-- record.lua leaves each article's events pending, scored by publication time;
-- their members start with a sort key (article id, version, place in the
-- article), so entries of the same time come in the same order every time.
-- This script takes the entries published before the *horizon* (the oldest
-- article still in flight: queued, not yet recorded; entries at that very time
-- wait), merges the metrics' entries in (time, sort key) order and applies the
-- rules in that order, so alerts reach the Stream in order of publication;
-- while a poller holds settling (it is gathering articles) it takes none. So
-- the ledger is a function of the articles and their publication times, not of
-- the order workers met them. An entry older than what its metric already
-- settled (the article came late) takes its place in the history but never
-- becomes current and raises no alert: `older`, or `corroboration` when it agrees.
--
-- KEYS[1] articles in flight (sorted set)   KEYS[2] settling holds (sorted set, expiry ms)
-- KEYS[3] metrics with pending entries (set) KEYS[4] metrics index (set)
-- KEYS[5] raised alert ids (set)             KEYS[6] alerts stream
-- KEYS[7 + 3(i-1)], +1, +2: metric i's pending entries (sorted set), hash, history (list)
-- ARGV[1] JSON: {mids: [id...], maxlen, alerts_channel, created_at}
--
-- Returns {"held"} or {"settled", alert_json...}.

local p = cjson.decode(ARGV[1])
local INFLIGHT, HOLDS, DIRTY, INDEX, IDS, STREAM = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local BASE = 6

local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', HOLDS, '-inf', now_ms)
if redis.call('ZCARD', HOLDS) > 0 then
  return {'held'}
end
local limit = '+inf'
local first = redis.call('ZRANGE', INFLIGHT, 0, 0, 'WITHSCORES')
if first[2] then
  limit = '(' .. first[2]
end

-- every metric's entries below the horizon, merged in (time, sort key) order
local work = {}
for i, _ in ipairs(p.mids) do
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[BASE + 3 * i - 2], '-inf', limit)) do
    local split = string.find(member, '\31{', 1, true)
    local ev = cjson.decode(string.sub(member, split + 1))
    table.insert(work, {i = i, key = string.sub(member, 1, split - 1), ev = ev})
  end
end
table.sort(work, function(x, y)
  if x.ev.ts ~= y.ev.ts then return x.ev.ts < y.ev.ts end
  return x.key < y.key
end)

local function replace(s, hole, with)
  local i, j = string.find(s, hole, 1, true)
  if not i then return s end
  return string.sub(s, 1, i - 1) .. with .. string.sub(s, j + 1)
end

local function round4(x)
  return math.floor(x * 10000 + 0.5) / 10000
end

local function percent(rel)
  local sign = '+'
  if rel < 0 then sign = '-' end
  return sign .. string.format('%d', math.floor(math.abs(rel) * 100 + 0.5)) .. '%'
end

-- per-metric state, loaded on first use, written back at the end ---------------
local states = {}

local function state(i)
  local s = states[i]
  if s then return s end
  local mkey = KEYS[BASE + 3 * i - 1]
  local cur_raw = redis.call('HGET', mkey, 'current')
  local sources_raw = redis.call('HGET', mkey, 'sources')
  local mark_raw = redis.call('HGET', mkey, 'settled')
  s = {
    mkey = mkey,
    cur = cur_raw and cjson.decode(cur_raw) or nil,
    sources = sources_raw and cjson.decode(sources_raw) or {},
    mark = mark_raw and cjson.decode(mark_raw) or nil,   -- {ts, key} of the last entry settled in order
    cur_dirty = false, sources_dirty = false,
    seen = {}, new_seen = {}, inc = {}, inc_dirty = {}, history = {},
  }
  states[i] = s
  return s
end

local function seen(s, key)
  if s.seen[key] then return true end
  return redis.call('HEXISTS', s.mkey, 'seen:' .. key) == 1
end

local function mentions(s, vkey)
  local list = s.inc[vkey]
  if list then return list end
  local raw = redis.call('HGET', s.mkey, 'inc:' .. vkey)
  list = raw and cjson.decode(raw) or {}
  s.inc[vkey] = list
  return list
end

local function add_source(s, ref)
  for _, known in ipairs(s.sources) do
    if known.key == ref.key then return end
  end
  table.insert(s.sources, ref)
  s.sources_dirty = true
end

local function make_current(s, ev)
  s.cur = ev.figure
  s.sources = {ev.source_ref}
  s.cur_dirty = true
  s.sources_dirty = true
end

-- alerts --------------------------------------------------------------------------
local alerts = {}
local raised = {}

local function raise(kind, ev, prev)
  local id = ev.ids[kind]
  if raised[id] or redis.call('SISMEMBER', IDS, id) == 1 then return end
  raised[id] = true
  local line
  local alert = {
    id = id, kind = kind, metric = ev.metric, current = ev.current,
    previous = cjson.null, change = cjson.null, created_at = p.created_at,
  }
  if prev then
    alert.previous = {value = prev.value, qualifier = prev.qualifier, published = prev.published,
                      source = prev.source, url = prev.url}
  end
  if kind == 'increment' then
    if prev then
      alert.change = {absolute = ev.value, relative = round4(ev.value / prev.value)}
      line = replace(ev.templates.increment, '%PREV%', prev.phrase)
    else
      alert.change = {absolute = ev.value, relative = cjson.null}
      line = ev.templates.increment_first
    end
  elseif prev then
    local rel = round4((ev.value - prev.value) / prev.value)
    alert.change = {absolute = ev.value - prev.value, relative = rel}
    line = replace(replace(ev.templates[kind], '%PREV%', prev.phrase), '%PCT%', percent(rel))
  else
    line = ev.templates[kind]
  end
  alert.message = line
  table.insert(alerts, {id = id, json = cjson.encode(alert), channel = ev.channel})
end

-- decide ----------------------------------------------------------------------------
for _, item in ipairs(work) do
  local s, key, ev = state(item.i), item.key, item.ev
  s.metric = ev.metric
  local late = s.mark ~= nil and (ev.ts < s.mark.ts or (ev.ts == s.mark.ts and key < s.mark.key))
  if not late then
    s.mark = {ts = ev.ts, key = key}
  end
  local duplicate = seen(s, ev.dedupe)
  local effect = nil
  local rule = ev.rule

  if ev.class == 'increment' then
    -- rule 7: the same (metric, value) within the window is the same news; every mention extends it
    local list = mentions(s, ev.vkey)
    local near, known = false, false
    for _, t in ipairs(list) do
      if t == ev.ts then known = true end
      if math.abs(t - ev.ts) <= rule.window then near = true end
    end
    if not known then
      table.insert(list, ev.ts)
      s.inc_dirty[ev.vkey] = true
    end
    if not duplicate then
      if near then
        effect = 'repeated_increment'
      elseif late then
        effect = 'older'                             -- came late: no stale alert
      else
        effect = 'increment'
        raise('increment', ev, s.cur)
      end
    end
  elseif not duplicate then
    if ev.class == 'record' then
      effect = ev.record_effect                      -- rule 1: denied, planned, zero
    elseif not s.cur then
      effect = 'first_report'                        -- rule 2
      raise('first_report', ev, nil)
      make_current(s, ev)
    else
      local cur = s.cur
      local rel = (ev.value - cur.value) / cur.value
      if math.abs(rel) <= rule.threshold then
        effect = 'corroboration'                     -- rule 4
        add_source(s, ev.source_ref)
      elseif late or ev.ts < cur.ts then
        effect = 'older'                             -- rule 6, and any article that came late
      elseif rel > 0 then
        effect = 'increase'                          -- rule 3
        raise('increase', ev, cur)
        make_current(s, ev)
      elseif rule.decreases then
        effect = 'decrease'                          -- rule 5, when enabled
        raise('decrease', ev, cur)
        make_current(s, ev)
      else
        effect = 'lower'                             -- rule 5
      end
    end
  end

  if effect then
    s.seen[ev.dedupe] = true
    table.insert(s.new_seen, {ev.dedupe, ev.entry.article})
    local entry = ev.entry
    entry.effect = effect
    table.insert(s.history, cjson.encode(entry))
  end
end

-- write -----------------------------------------------------------------------------
for i, mid in ipairs(p.mids) do
  local pending, mkey, hkey = KEYS[BASE + 3 * i - 2], KEYS[BASE + 3 * i - 1], KEYS[BASE + 3 * i]
  local s = states[i]
  if s then
    redis.call('ZREMRANGEBYSCORE', pending, '-inf', limit)
    redis.call('SADD', INDEX, mid)
    redis.call('HSETNX', mkey, 'metric', cjson.encode(s.metric))
    redis.call('HSET', mkey, 'settled', cjson.encode(s.mark))
    if s.cur_dirty then
      redis.call('HSET', mkey, 'current', cjson.encode(s.cur))
    end
    if s.sources_dirty then
      redis.call('HSET', mkey, 'sources', cjson.encode(s.sources))
    end
    for _, pair in ipairs(s.new_seen) do
      redis.call('HSET', mkey, 'seen:' .. pair[1], pair[2])
    end
    for vkey, _ in pairs(s.inc_dirty) do
      table.sort(s.inc[vkey])
      redis.call('HSET', mkey, 'inc:' .. vkey, cjson.encode(s.inc[vkey]))
    end
    for _, entry in ipairs(s.history) do
      redis.call('RPUSH', hkey, entry)
    end
  end
  if redis.call('ZCARD', pending) == 0 then
    redis.call('SREM', DIRTY, mid)
  end
end

local reply = {'settled'}
for _, a in ipairs(alerts) do
  redis.call('SADD', IDS, a.id)
  redis.call('XADD', STREAM, 'MAXLEN', '~', p.maxlen, '*', 'data', a.json)
  redis.call('PUBLISH', p.alerts_channel, a.json)
  redis.call('PUBLISH', a.channel, a.json)
  table.insert(reply, a.json)
end
return reply
