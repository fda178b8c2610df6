import type { RedisClient } from '@feedmesh/service-kit';
import type { ChainableCommander } from 'ioredis';

/**
 * The Redis store's writes: read-modify-write of packed state, atomic per entity so replicas
 * consuming the same group never lose each other's updates. A script call writes many
 * entities of one kind (one batch's worth, all in one slot: the whole batch on a single
 * Redis, one entity's keys on a Cluster), so a batch of events costs a handful of calls, not
 * a few per event. Every key a script touches shares one hash tag with the call's KEYS.
 *
 * `apply_delta` mirrors `applyDelta` in state-delta.ts, `relation` mirrors `relationOutcome`
 * in relation-rules.ts: a change to one is a change to both (the store contract suite runs
 * the same cases against both stores). Cells arrive 0-based, as in TypeScript.
 */
const LIBRARY = `
local function read_doubles(s, pos, n)
  if n == 0 then return {}, pos end
  local t = { struct.unpack('<' .. string.rep('d', n), s, pos) }
  local next_pos = t[n + 1]
  t[n + 1] = nil
  return t, next_pos
end

-- desc: cell count, counter count, each counter's half-life (packed doubles).
local function layout_of(desc, template)
  local n, k = struct.unpack('<dd', desc)
  local half_lives = read_doubles(desc, 17, k)
  return {
    n = n, k = k, hl = half_lives, template = template,
    format = '<' .. string.rep('d', n),
    fingerprint = struct.unpack('<d', template),
  }
end

-- The stored cells, or the template for a missing value or one of another layout.
local function cells_from(layout, bytes)
  if bytes and #bytes == layout.n * 8 then
    local cells = { struct.unpack(layout.format, bytes) }
    cells[layout.n + 1] = nil
    if cells[1] == layout.fingerprint then return cells end
  end
  local cells = { struct.unpack(layout.format, layout.template) }
  cells[layout.n + 1] = nil
  return cells
end

-- Values of many keys in as few calls as unpack's bounded stack allows (false: none).
local function mget_all(keys)
  local values = {}
  for from = 1, #keys, 1000 do
    local got = redis.call('MGET', unpack(keys, from, math.min(from + 999, #keys)))
    for i = 1, #got do values[from + i - 1] = got[i] end
  end
  return values
end

-- ZADD GT of flat (score, member) pairs, in as few calls.
local function zadd_gt(key, pairs)
  for from = 1, #pairs, 1000 do
    redis.call('ZADD', key, 'GT', unpack(pairs, from, math.min(from + 999, #pairs)))
  end
end

local function pack_cells(layout, cells)
  return struct.pack(layout.format, unpack(cells, 1, layout.n))
end

-- Every counter forward by elapsed ms: one power per distinct half-life.
local function decay(layout, cells, elapsed)
  local factors = {}
  for i = 1, layout.k do
    local h = layout.hl[i]
    local factor = factors[h]
    if not factor then
      factor = 2 ^ (-elapsed / h)
      factors[h] = factor
    end
    cells[2 + i] = cells[2 + i] * factor
  end
end

-- delta: at (f64), #counters (u16), (cell u16, weight f64)..., #attributes (u16),
-- (merge code u8, cell u16, value f64, and for code 5 dip f64 and floor f64)...
-- floors (optional): gets (cell, value before as a string) for each attribute with a floor.
local function apply_delta(layout, cells, delta, floors)
  if delta == nil or delta == '' then return false end
  local at, nc, pos = struct.unpack('<dH', delta)
  if nc > 0 then
    local t = cells[2]
    if at >= t then
      if t > 0 and at > t then decay(layout, cells, at - t) end
      cells[2] = at
      for _ = 1, nc do
        local c, w
        c, w, pos = struct.unpack('<Hd', delta, pos)
        cells[c + 1] = cells[c + 1] + w
      end
    else
      for _ = 1, nc do
        local c, w
        c, w, pos = struct.unpack('<Hd', delta, pos)
        cells[c + 1] = cells[c + 1] + w * 2 ^ (-(t - at) / layout.hl[c - 1])
      end
    end
  end
  local na
  na, pos = struct.unpack('<H', delta, pos)
  for _ = 1, na do
    local code, c, v
    code, c, v, pos = struct.unpack('<BHd', delta, pos)
    local current = cells[c + 1]
    if code == 1 then
      if current ~= current or v > current then cells[c + 1] = v end
    elseif code == 2 then
      if current ~= current or v < current then cells[c + 1] = v end
    elseif code == 3 then
      cells[c + 1] = current + v
    elseif code == 5 then
      -- Added, never below the floor, as its changes one at a time: dip is how far their
      -- running sum fell below its start.
      local dip, floor
      dip, floor, pos = struct.unpack('<dd', delta, pos)
      if floors then
        floors[#floors + 1] = c
        floors[#floors + 1] = string.format('%.17g', current)
      end
      cells[c + 1] = math.max(current + v, floor + v + dip)
    else
      cells[c + 1] = v
    end
  end
  return true
end
`;

/** Reads a packed program (see script-program.ts) from position 1 of `program`. */
const PROGRAM = `
local program, pos = '', 1
local function start(bytes)
  program = bytes
  pos = 1
end
local function u8()
  local v
  v, pos = struct.unpack('<B', program, pos)
  return v
end
local function u16()
  local v
  v, pos = struct.unpack('<H', program, pos)
  return v
end
local function f64()
  local v
  v, pos = struct.unpack('<d', program, pos)
  return v
end
local function str()
  local n = u16()
  local s = string.sub(program, pos, pos + n - 1)
  pos = pos + n
  return s
end
local function blob()
  local n
  n, pos = struct.unpack('<I4', program, pos)
  local s = string.sub(program, pos, pos + n - 1)
  pos = pos + n
  return s
end
`;

/**
 * Every write script starts with it, then: marks each entity with the events its write counts
 * (\`SET <key less its last character>e:<event id> 1 PX ttl NX\`), in the same atomic call as
 * the write, so an event is counted once per entity however often it is delivered. When one
 * is marked already (another delivery wrote first), it removes the marks it made and the
 * script writes nothing and returns nil: the caller plans again without that event.
 * The guard program: per key, #events (u16), each event id; empty when nothing counts.
 */
const COUNTED = `
-- A batch unit's write (see CLAIM): its veto key, set when the unit's claim failed.
local function vetoed(veto)
  return veto ~= '' and redis.call('EXISTS', veto) == 1
end

local function mark_counted(guard, ttl)
  if guard == '' then return true end
  start(guard)
  local made = {}
  for i = 1, #KEYS do
    local root = string.sub(KEYS[i], 1, -2) .. 'e:'
    for _ = 1, u16() do
      local marker = root .. str()
      if redis.call('SET', marker, '1', 'PX', ttl, 'NX') then
        made[#made + 1] = marker
      else
        for m = 1, #made do redis.call('DEL', made[m]) end
        return false
      end
    end
  end
  return true
end
`;

/**
 * KEYS: one state per entity. ARGV: layout descriptor, template, ttl ms, program: one delta
 * blob per key (empty for none: the key's time to live restarts all the same), the guard
 * program, the markers' ttl ms and the veto key (see COUNTED).
 *
 * Returns, per key, (cell, value before the write) for each attribute with a floor its delta
 * touched (a blog's follower count): what the caller needs to correct a change it predicted.
 */
const UPDATE_CELLS = `${LIBRARY}${PROGRAM}${COUNTED}
if vetoed(ARGV[7]) or not mark_counted(ARGV[5], ARGV[6]) then return false end
local layout = layout_of(ARGV[1], ARGV[2])
start(ARGV[4])
local stored = mget_all(KEYS)
local out = {}
for i = 1, #KEYS do
  local delta = blob()
  local cells = cells_from(layout, stored[i])
  local floors = {}
  apply_delta(layout, cells, delta, floors)
  redis.call('SET', KEYS[i], pack_cells(layout, cells), 'PX', ARGV[3])
  out[i] = floors
end
return out
`;

/**
 * A post's value is its meta (u32 length, then JSON; length 0 before PostCreated) followed by
 * its cells, so one GET (or MGET) reads both, and a registry change keeps the meta. Its parked
 * engagements are a list beside it: the value's key with `:parked` for `:v` (one hash tag).
 *
 * KEYS: one value per post. ARGV: layout descriptor, template, ttl ms, parked cap, parked
 * ttl ms, program: per post, delta blob, meta to store (empty for none; JSON ending with its
 * creator's time and event id), the id of the PostCreated storing it (kept first in
 * \`:joined\` with the engagements joined), its time as f64 (NaN: none, it replaces nothing),
 * how many parked engagements the caller read (and joins itself) as f64, the creation's
 * attributes (a delta blob, applied only with its meta), how many to park (u16), each entry;
 * the guard program, the markers' ttl ms and the veto key (see COUNTED).
 *
 * A meta is stored where there is none, and replaces one of a later creator (see
 * \`creation_outcome\`): the post then keeps the replaced meta in \`:joined\` after its creator,
 * for a delivery of it again.
 *
 * Returns, per post, {status, meta, parked...}: status 1 when it stored the meta (with the
 * engagements parked since the caller read them), 2 when it had one already (it follows), 4
 * when it replaced one (it follows), 3 when it has a meta so nothing was parked (it follows),
 * 0 otherwise.
 */
const UPDATE_POSTS = `${LIBRARY}${PROGRAM}${COUNTED}
-- Whether event id a sorts before b by their bytes (as Buffer.compare does), never by the
-- server's locale, as Lua's < would.
local function id_before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- What a creation at (time, id) does to a post whose stored meta is \`meta\`: creationOutcome
-- in post-meta.ts. The earliest PostCreated wins, by time, then by event id.
local function creation_outcome(meta, at, id)
  if meta == '' then return 'create' end
  if at ~= at then return 'keep' end
  local ok, fields = pcall(cjson.decode, meta)
  if not ok or type(fields) ~= 'table' or #fields ~= 5 then return 'keep' end
  local stored_at, stored_id = fields[4], fields[5]
  if type(stored_at) ~= 'number' or type(stored_id) ~= 'string' then return 'keep' end
  if at < stored_at or (at == stored_at and id_before(id, stored_id)) then return 'replace' end
  if at == stored_at and id == stored_id then return 'same' end
  return 'keep'
end

if vetoed(ARGV[9]) or not mark_counted(ARGV[7], ARGV[8]) then return false end
local layout = layout_of(ARGV[1], ARGV[2])
local ttl, cap, parked_ttl = ARGV[3], tonumber(ARGV[4]), ARGV[5]
start(ARGV[6])
local out = {}
local values = mget_all(KEYS)
for p = 1, #KEYS do
  local value_key = KEYS[p]
  local parked_key = string.sub(value_key, 1, -2) .. 'parked'
  local joined_key = string.sub(value_key, 1, -2) .. 'joined'
  local delta, create, creator, at = blob(), str(), str(), f64()
  local read, attributes, parking = f64(), blob(), u16()
  local stored = values[p]
  local meta, cell_bytes = '', nil
  if stored and #stored >= 4 then
    local length = struct.unpack('<I4', stored)
    meta = string.sub(stored, 5, 4 + length)
    cell_bytes = string.sub(stored, 5 + length)
  end
  local cells = cells_from(layout, cell_bytes)
  apply_delta(layout, cells, delta)
  local result = {0, ''}
  if create ~= '' then
    local outcome = creation_outcome(meta, at, creator)
    if outcome == 'create' then
      result = {1, ''}
      local entries = redis.call('LRANGE', parked_key, 0, -1)
      for i = read + 1, #entries do result[2 + i - read] = entries[i] end
      redis.call('DEL', parked_key, joined_key)
      -- Kept for a delivery of the same PostCreated again after a write cut short: it may
      -- have to join them where this write's companions (other slots) did not land.
      redis.call('RPUSH', joined_key, creator)
      for i = 1, #entries do redis.call('RPUSH', joined_key, entries[i]) end
      redis.call('PEXPIRE', joined_key, parked_ttl)
    elseif outcome == 'replace' then
      result = {4, meta}
      -- Likewise: its blog counts the post, the replaced one's no longer does.
      redis.call('DEL', joined_key)
      redis.call('RPUSH', joined_key, creator, meta)
      redis.call('PEXPIRE', joined_key, parked_ttl)
    else
      result = {2, meta}
    end
    if outcome == 'create' or outcome == 'replace' then meta = create end
    if outcome ~= 'keep' then apply_delta(layout, cells, attributes) end
  end
  if parking > 0 then
    local entries = {}
    for i = 1, parking do entries[i] = str() end
    if meta == '' then
      redis.call('RPUSH', parked_key, unpack(entries))
      redis.call('LTRIM', parked_key, -cap, -1)
      redis.call('PEXPIRE', parked_key, parked_ttl)
    else
      result = {3, meta}
    end
  end
  redis.call('SET', value_key, struct.pack('<I4', #meta) .. meta .. pack_cells(layout, cells), 'PX', ttl)
  out[p] = result
end
return out
`;

/**
 * Everything a batch changes under some users (all in one slot).
 *
 * KEYS: one per user, its state. Each user's other keys share its hash tag (the slot Redis
 * Cluster checks), and are named from its key root as FeatureKeys names them: set:<set>,
 * idx:tags, idx:blogs, b:<blog>, t:<tag>.
 *
 * ARGV: the user, user x blog and user x tag layouts (descriptor, template each), their ttls,
 * the interest cap; cap and ttl of the served, engaged, hidden and owned_blogs sets; the
 * relation cap, the following and blocked ttls, the tombstone retention; then the program,
 * per user: key root, delta blob, #touches (u16), each (set 1-4 u8, member, at f64),
 * #relations (u16), each (relation 1-2 u8, blog, at f64, active u8, count cell f64 or -1,
 * event id or empty),
 * #blogs (u16), each (blog, delta blob), #tags (u16), each (tag, delta blob); the guard
 * program, the markers' ttl ms and the veto key (see COUNTED).
 *
 * Returns, per user, the change in active members of each relation change (-1, 0 or 1).
 */
const UPDATE_USERS = `${LIBRARY}${PROGRAM}${COUNTED}
if vetoed(ARGV[26]) or not mark_counted(ARGV[24], ARGV[25]) then return false end
local user_layout = layout_of(ARGV[1], ARGV[2])
local blog_layout = layout_of(ARGV[3], ARGV[4])
local tag_layout = layout_of(ARGV[5], ARGV[6])
local user_ttl, blog_ttl, tag_ttl, interest_cap = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
local set_names = { 'served', 'engaged', 'hidden', 'owned_blogs' }
local set_caps = { tonumber(ARGV[11]), tonumber(ARGV[13]), tonumber(ARGV[15]), tonumber(ARGV[17]) }
local set_ttls = { ARGV[12], ARGV[14], ARGV[16], ARGV[18] }
local relation_names = { 'following', 'blocked' }
local relation_cap, tombstone_ms = tonumber(ARGV[19]), tonumber(ARGV[22])
local relation_ttls = { ARGV[20], ARGV[21] }
start(ARGV[23])

local function trim(key, cap, ttl, root, kind)
  local excess = redis.call('ZCARD', key) - cap
  if excess > 0 then
    if root then
      -- A tag or blog that falls out of the index takes its state with it: per-user state
      -- stays bounded by the cap, not only by the time to live.
      local gone = redis.call('ZRANGE', key, 0, excess - 1)
      for i = 1, #gone do redis.call('DEL', root .. kind .. gone[i]) end
    end
    redis.call('ZREMRANGEBYRANK', key, 0, excess - 1)
  end
  redis.call('PEXPIRE', key, ttl)
end

local function relation(key, member, at, active)
  local was = false
  local score = redis.call('ZSCORE', key, member)
  if score then
    score = tonumber(score)
    was = score > 0
    local last = math.abs(score)
    if at < last or (at == last and (was or not active)) then return 0 end
  end
  redis.call('ZADD', key, active and at or -at, member)
  redis.call('ZREMRANGEBYSCORE', key, string.format('(%.17g', tombstone_ms - at), '(0')
  local excess = redis.call('ZCARD', key) - relation_cap
  if excess > 0 then redis.call('ZREMRANGEBYRANK', key, 0, excess - 1) end
  return (active and 1 or 0) - (was and 1 or 0)
end

local out = {}
local states = mget_all(KEYS)
for u = 1, #KEYS do
  local state_key = KEYS[u]
  local root = str()
  local delta = blob()

  local cells = nil
  local dirty = false
  if delta ~= '' then
    cells = cells_from(user_layout, states[u])
    dirty = apply_delta(user_layout, cells, delta)
  end

  local touched = {}
  for _ = 1, u16() do
    local set = u8()
    local member = str()
    local at = f64()
    local entries = touched[set]
    if not entries then
      entries = {}
      touched[set] = entries
    end
    entries[#entries + 1] = at
    entries[#entries + 1] = member
  end
  for set = 1, 4 do
    if touched[set] then
      local key = root .. 'set:' .. set_names[set]
      zadd_gt(key, touched[set])
      trim(key, set_caps[set], set_ttls[set])
    end
  end

  local deltas = {}
  for r = 1, u16() do
    local which = u8()
    local member = str()
    local at = f64()
    local active = u8() == 1
    local count_cell = f64()
    local event_id = str()
    local key = root .. 'set:' .. relation_names[which]
    local change = relation(key, member, at, active)
    -- The change, kept with the event's marker (set above, when this write counts the event):
    -- a delivery again moves the blog's follower count by it, if that part did not land.
    if event_id ~= '' then
      redis.call('SET', root .. 'e:' .. event_id, 'c' .. change, 'XX', 'KEEPTTL')
    end
    redis.call('PEXPIRE', key, relation_ttls[which])
    deltas[r] = change
    if change ~= 0 and count_cell >= 0 then
      if not cells then cells = cells_from(user_layout, states[u]) end
      -- Counted from the set, not moved by the change: the set outlives the user's state, which
      -- may have expired (and restarted from 0) since the relation began.
      cells[count_cell + 1] = redis.call('ZCOUNT', key, '(0', '+inf')
      dirty = true
    end
  end
  out[u] = deltas
  if dirty then redis.call('SET', state_key, pack_cells(user_layout, cells), 'PX', user_ttl) end

  -- The user's state with each blog, then each tag: read in one MGET, indexed in one ZADD each.
  local names, deltas, keys = {}, {}, {}
  local blogs = u16()
  for i = 1, blogs do
    names[i] = str()
    deltas[i] = blob()
    keys[i] = root .. 'b:' .. names[i]
  end
  local tags = u16()
  for i = blogs + 1, blogs + tags do
    names[i] = str()
    deltas[i] = blob()
    keys[i] = root .. 't:' .. names[i]
  end
  if blogs + tags > 0 then
    local values = mget_all(keys)
    local blog_scores, tag_scores = {}, {}
    for i = 1, blogs + tags do
      local is_blog = i <= blogs
      local layout = is_blog and blog_layout or tag_layout
      local pair_cells = cells_from(layout, values[i])
      apply_delta(layout, pair_cells, deltas[i])
      redis.call('SET', keys[i], pack_cells(layout, pair_cells), 'PX', is_blog and blog_ttl or tag_ttl)
      local scores = is_blog and blog_scores or tag_scores
      scores[#scores + 1] = pair_cells[2]
      scores[#scores + 1] = names[i]
    end
    if blogs > 0 then
      zadd_gt(root .. 'idx:blogs', blog_scores)
      trim(root .. 'idx:blogs', interest_cap, blog_ttl, root, 'b:')
    end
    if tags > 0 then
      zadd_gt(root .. 'idx:tags', tag_scores)
      trim(root .. 'idx:tags', interest_cap, tag_ttl, root, 't:')
    end
  end
end
return out
`;

/**
 * The first command of a batch unit's write (see \`BatchUnit\`): checks that what the write's
 * plan read still holds, then sets the log's processed-marker of every event it counts. If a
 * check fails, or another consumer set one of the markers first, it sets none of them and
 * sets the veto key instead, so every write script queued after it in the same MULTI writes
 * nothing (COUNTED's \`vetoed\`). Redis runs the MULTI without interleaving, so what the checks
 * saw is what the scripts after them see.
 *
 * KEYS: the veto key, then the markers. ARGV: the veto's ttl ms; the key to set when the
 * write lands ('' for none: no write of the unit follows) and its ttl ms; the previous write's
 * landed key, which must exist ('' for none: the unit's first write); the read guard (a
 * program: #posts (u16), each post value key, which must have no meta; #parked lists (u16),
 * each key, length (f64) and last entry, which it must still have; #relations (u16), each set
 * key, member and score (f64, NaN for none), which it must still have; #posts (u16), each
 * post value key and the meta it must still have, which the write replaces); then each
 * marker's ttl ms.
 *
 * Returns 1 when it set the markers; else what vetoed: 0 a marker set already, 2 a read that
 * changed, 3 an earlier write of the unit that did not land.
 */
const CLAIM = `${PROGRAM}
local function veto(reason)
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  if ARGV[4] ~= '' then redis.call('DEL', ARGV[4]) end
  return reason
end
if ARGV[4] ~= '' and redis.call('EXISTS', ARGV[4]) == 0 then return veto(3) end
start(ARGV[5])
for _ = 1, u16() do
  local value = redis.call('GET', str())
  if value and #value >= 4 and struct.unpack('<I4', value) > 0 then return veto(2) end
end
for _ = 1, u16() do
  local key, length, last = str(), f64(), str()
  if redis.call('LLEN', key) ~= length then return veto(2) end
  if length > 0 and redis.call('LINDEX', key, -1) ~= last then return veto(2) end
end
for _ = 1, u16() do
  local key, member, score = str(), str(), f64()
  local stored = redis.call('ZSCORE', key, member)
  if stored then
    if tonumber(stored) ~= score then return veto(2) end
  elseif score == score then
    return veto(2)
  end
end
for _ = 1, u16() do
  local value = redis.call('GET', str())
  local expected = str()
  local length = (value and #value >= 4) and struct.unpack('<I4', value) or 0
  if length == 0 or string.sub(value, 5, 4 + length) ~= expected then return veto(2) end
end
local made = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'PX', ARGV[i + 4], 'NX') then
    made[#made + 1] = KEYS[i]
  else
    for m = 1, #made do redis.call('DEL', made[m]) end
    return veto(0)
  end
end
if ARGV[2] ~= '' then redis.call('SET', ARGV[2], '1', 'PX', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('DEL', ARGV[4]) end
return 1
`;

/**
 * A read: the user's states with a request's blogs and tags, those among the user's interest
 * indexes (a user × blog or user × tag state exists only for a member: UPDATE_USERS keeps them
 * together), in one round trip rather than the indexes first and the states after.
 *
 * KEYS: the user's blog index, then tag index. ARGV: the user's key root, the number of blogs,
 * the blogs, then the tags. Returns two flat lists, blogs then tags, of (position among the
 * blogs or tags asked, value) for the members; a member whose state is gone has a nil value.
 */
const READ_INTERESTS = `
local root = ARGV[1]
local blogs = tonumber(ARGV[2])
local function states(index_key, first, last, infix)
  local members = redis.call('ZRANGE', index_key, 0, -1)
  local out = {}
  if #members == 0 then return out end
  local index = {}
  for i = 1, #members do index[members[i]] = true end
  local positions, keys = {}, {}
  for i = first, last do
    if index[ARGV[i]] then
      positions[#positions + 1] = i - first
      keys[#keys + 1] = root .. infix .. ARGV[i]
    end
  end
  -- MGET in chunks: unpack's stack is bounded.
  for from = 1, #keys, 1000 do
    local to = math.min(from + 999, #keys)
    local values = redis.call('MGET', unpack(keys, from, to))
    for j = from, to do
      out[#out + 1] = positions[j]
      out[#out + 1] = values[j - from + 1]
    end
  end
  return out
end
return { states(KEYS[1], 3, 2 + blogs, 'b:'), states(KEYS[2], 3 + blogs, #ARGV, 't:') }
`;

const SCRIPTS = {
  featureStoreReadInterests: { lua: READ_INTERESTS },
  featureStoreClaim: { lua: CLAIM },
  featureStoreCells: { lua: UPDATE_CELLS },
  featureStorePosts: { lua: UPDATE_POSTS },
  featureStoreUsers: { lua: UPDATE_USERS },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Idempotent: a client shared by several stores gets the same definitions again. */
export function defineScripts(redis: RedisClient): void {
  for (const [name, { lua }] of Object.entries(SCRIPTS)) redis.defineCommand(name, { lua });
}

export type ScriptArgument = string | number | Buffer;

/**
 * Queues a script on a pipeline (ioredis adds defined commands to pipelines, untyped). The
 * number of keys travels with each call: each batch passes as many as it writes.
 */
export function queueScript(
  pipeline: ChainableCommander,
  /** `<name>Buffer`: its bulk replies as Buffers (ioredis defines both). */
  name: ScriptName | `${ScriptName}Buffer`,
  keys: readonly string[],
  args: readonly ScriptArgument[],
): void {
  const commands = pipeline as unknown as Record<
    ScriptName | `${ScriptName}Buffer`,
    (...args: ScriptArgument[]) => void
  >;
  commands[name](keys.length, ...keys, ...args);
}
