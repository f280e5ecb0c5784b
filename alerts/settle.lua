-- Settle one metric: decide on its pending entries, oldest first, record history, publish alerts, atomically.
--
-- record.lua leaves each article's events pending, scored by publication time;
-- their members start with a sort key (article id, version, index in the
-- article), so Redis hands entries of the same time in the same order every
-- time. This script takes the entries published before the *horizon* (the
-- oldest article still in flight: queued, not yet recorded; entries at that
-- very time wait) and applies the rules to them in that order; while a poller
-- holds settling (it is gathering articles) it takes none. So the ledger is a
-- function of the articles and their publication times, not of the order
-- workers met them. An entry older than what this metric already settled (the
-- article came late) takes its place in the history but never becomes current
-- and raises no alert: `older`, or `corroboration` when it agrees.
--
-- KEYS[1] the metric's pending entries (sorted set)   KEYS[2] the metric's hash
-- KEYS[3] the metric's history (list)                 KEYS[4] articles in flight (sorted set)
-- KEYS[5] settling holds (sorted set, expiry ms)      KEYS[6] metrics with pending entries (set)
-- KEYS[7] metrics index (set)                         KEYS[8] raised alert ids (set)
-- KEYS[9] alerts stream
-- ARGV[1] JSON: {mid, maxlen, alerts_channel, created_at}
--
-- Returns {"held"} or {"settled", alert_json...}.

local p = cjson.decode(ARGV[1])
local PENDING, MKEY, HKEY, INFLIGHT, HOLDS, DIRTY, INDEX, IDS, STREAM =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]

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
local members = redis.call('ZRANGEBYSCORE', PENDING, '-inf', limit)
if #members == 0 then
  if redis.call('ZCARD', PENDING) == 0 then redis.call('SREM', DIRTY, p.mid) end
  return {'settled'}
end

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

-- the metric's state, written back at the end ------------------------------------
local cur_raw = redis.call('HGET', MKEY, 'current')
local sources_raw = redis.call('HGET', MKEY, 'sources')
local mark_raw = redis.call('HGET', MKEY, 'settled')
local s = {
  mkey = MKEY,
  cur = cur_raw and cjson.decode(cur_raw) or nil,
  sources = sources_raw and cjson.decode(sources_raw) or {},
  mark = mark_raw and cjson.decode(mark_raw) or nil,   -- {ts, key} of the last entry settled in order
  cur_dirty = false, sources_dirty = false,
  seen = {}, new_seen = {}, inc = {}, inc_dirty = {}, history = {},
}

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
local metric = nil
for _, member in ipairs(members) do
  local split = string.find(member, '\31{', 1, true)
  local key = string.sub(member, 1, split - 1)
  local ev = cjson.decode(string.sub(member, split + 1))
  metric = ev.metric
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
redis.call('ZREMRANGEBYSCORE', PENDING, '-inf', limit)
if redis.call('ZCARD', PENDING) == 0 then
  redis.call('SREM', DIRTY, p.mid)
end
redis.call('SADD', INDEX, p.mid)
redis.call('HSETNX', MKEY, 'metric', cjson.encode(metric))
redis.call('HSET', MKEY, 'settled', cjson.encode(s.mark))
if s.cur_dirty then
  redis.call('HSET', MKEY, 'current', cjson.encode(s.cur))
end
if s.sources_dirty then
  redis.call('HSET', MKEY, 'sources', cjson.encode(s.sources))
end
for _, pair in ipairs(s.new_seen) do
  redis.call('HSET', MKEY, 'seen:' .. pair[1], pair[2])
end
for vkey, _ in pairs(s.inc_dirty) do
  table.sort(s.inc[vkey])
  redis.call('HSET', MKEY, 'inc:' .. vkey, cjson.encode(s.inc[vkey]))
end
for _, entry in ipairs(s.history) do
  redis.call('RPUSH', HKEY, entry)
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
