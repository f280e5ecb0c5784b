-- Apply one article's validated events to the figure ledger and publish its alerts, atomically.
--
-- Redis runs a script to the end before any other command, so two workers
-- applying two articles about one metric are serialised here: the second sees
-- the figure the first made current and cannot raise `increase` from the same
-- previous figure. The script reads and decides first and writes only at the
-- end, so an error while deciding leaves nothing half written.
--
-- KEYS[1] alerts stream          KEYS[2] processed versions of this article id (set)
-- KEYS[3] fingerprint marker     KEYS[4] metrics index (set)
-- KEYS[5] raised alert ids (set) KEYS[6 + 2(i-1)], KEYS[7 + 2(i-1)]: metric i's hash and history list
-- ARGV[1] JSON payload built by alerts/ledger.py (see Ledger._payload)
--
-- Returns {"applied" | "duplicate", alert_json...}.

local BASE = 5
local p = cjson.decode(ARGV[1])
local art = p.article
local version = art.version or ""

if redis.call('SISMEMBER', KEYS[2], version) == 1 then
  return {'duplicate'}
end
if p.has_fingerprint and redis.call('EXISTS', KEYS[3]) == 1 then
  return {'duplicate'}
end

local function present(v)
  return v ~= nil and v ~= cjson.null
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

-- per-metric state, loaded on first use, written back at the end ---------------
local states = {}
local order = {}

local function state(i)
  local s = states[i]
  if s then return s end
  local mkey, hkey = KEYS[BASE + 2 * i - 1], KEYS[BASE + 2 * i]
  local cur = redis.call('HGET', mkey, 'current')
  local sources = redis.call('HGET', mkey, 'sources')
  s = {
    i = i, mkey = mkey, hkey = hkey,
    cur = cur and cjson.decode(cur) or nil,
    sources = sources and cjson.decode(sources) or {},
    cur_dirty = false, sources_dirty = false,
    seen = {}, new_seen = {}, inc = {}, inc_dirty = {}, history = {},
  }
  states[i] = s
  table.insert(order, i)
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
  if raised[id] or redis.call('SISMEMBER', KEYS[5], id) == 1 then return end
  raised[id] = true
  local line
  local alert = {
    id = id, kind = kind, metric = p.metrics[ev.m].metric, current = ev.current,
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
for _, ev in ipairs(p.events) do
  local s = state(ev.m)
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
      elseif ev.ts < cur.ts then
        effect = 'older'                             -- rule 6
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
    table.insert(s.new_seen, ev.dedupe)
    local entry = ev.entry
    entry.effect = effect
    table.insert(s.history, cjson.encode(entry))
  end
end

-- write -----------------------------------------------------------------------------
for _, i in ipairs(order) do
  local s = states[i]
  local m = p.metrics[i]
  redis.call('SADD', KEYS[4], m.id)
  redis.call('HSETNX', s.mkey, 'metric', cjson.encode(m.metric))
  if s.cur_dirty then
    redis.call('HSET', s.mkey, 'current', cjson.encode(s.cur))
  end
  if s.sources_dirty then
    redis.call('HSET', s.mkey, 'sources', cjson.encode(s.sources))
  end
  for _, key in ipairs(s.new_seen) do
    redis.call('HSET', s.mkey, 'seen:' .. key, art.id)
  end
  for vkey, _ in pairs(s.inc_dirty) do
    table.sort(s.inc[vkey])
    redis.call('HSET', s.mkey, 'inc:' .. vkey, cjson.encode(s.inc[vkey]))
  end
  for _, entry in ipairs(s.history) do
    redis.call('RPUSH', s.hkey, entry)
  end
end

redis.call('SADD', KEYS[2], version)
if p.has_fingerprint then
  redis.call('SET', KEYS[3], art.id)
end

local reply = {'applied'}
for _, a in ipairs(alerts) do
  redis.call('SADD', KEYS[5], a.id)
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', p.maxlen, '*', 'data', a.json)
  redis.call('PUBLISH', p.alerts_channel, a.json)
  redis.call('PUBLISH', a.channel, a.json)
  table.insert(reply, a.json)
end
return reply
