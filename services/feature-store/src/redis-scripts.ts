import type { RedisClient } from '@feedmesh/service-kit';
import type { ChainableCommander } from 'ioredis';

/**
 * The Redis store's writes: read-modify-write of packed state, atomic per entity so replicas
 * consuming the same group never lose each other's updates. Every key a script touches is in
 * KEYS and shares one hash tag, as Redis Cluster requires.
 *
 * The cell operations mirror `applyCellOps` in cell-ops.ts; a change to one is a change to both.
 * Cell indexes arrive 0-based, as in TypeScript.
 */
const CELLS = `
local function load_cells(key, template)
  local n = #template / 8
  local format = '<' .. string.rep('d', n)
  local cells
  local stored = redis.call('GET', key)
  if stored and #stored == #template then
    cells = { struct.unpack(format, stored) }
    -- A value packed by another layout (the registry changed) is not misread: start over.
    if cells[1] ~= struct.unpack('<d', template) then cells = nil end
  end
  if not cells then cells = { struct.unpack(format, template) } end
  cells[n + 1] = nil
  return cells, format, n
end

local function apply_ops(cells, at, argv, first)
  for i = first, #argv, 4 do
    local code = argv[i]
    local c = tonumber(argv[i + 1]) + 1
    local a = tonumber(argv[i + 2])
    local b = tonumber(argv[i + 3])
    local v = cells[c]
    if code == 'd' then
      local t = cells[c + 1]
      if at >= t then
        cells[c] = v * 2 ^ (-(at - t) / a) + b
        cells[c + 1] = at
      else
        cells[c] = v + b * 2 ^ (-(t - at) / a)
      end
    elseif code == 'x' then
      if v ~= v or a > v then cells[c] = a end
    elseif code == 'n' then
      if v ~= v or a < v then cells[c] = a end
    elseif code == 's' then
      cells[c] = a
    elseif code == '+' then
      cells[c] = v + a
    end
  end
end

local function save_cells(key, cells, format, n, ttl)
  redis.call('SET', key, struct.pack(format, unpack(cells, 1, n)), 'PX', ttl)
end
`;

/** KEYS: state. ARGV: template, ttl ms, at ms, then ops (code, cell, a, b)... */
const UPDATE_CELLS = `${CELLS}
local cells, format, n = load_cells(KEYS[1], ARGV[1])
apply_ops(cells, tonumber(ARGV[3]), ARGV, 4)
save_cells(KEYS[1], cells, format, n, ARGV[2])
return 1
`;

/**
 * KEYS: post state, post meta, parked engagements.
 * ARGV: template, ttl ms, at ms, parked engagement ('' for none), parked cap, parked ttl ms, ops...
 * Returns the meta, or nil after parking the engagement.
 */
const UPDATE_POST = `${CELLS}
local cells, format, n = load_cells(KEYS[1], ARGV[1])
apply_ops(cells, tonumber(ARGV[3]), ARGV, 7)
save_cells(KEYS[1], cells, format, n, ARGV[2])
local meta = redis.call('GET', KEYS[2])
if meta then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return meta
end
if ARGV[4] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
end
return false
`;

/**
 * KEYS: post state, post meta, parked engagements. ARGV: template, ttl ms, at ms, meta, ops...
 * Returns {1, parked...} when the meta is new (the parked engagements are handed over and
 * deleted), {0} when it was already there.
 */
const CREATE_POST = `${CELLS}
local cells, format, n = load_cells(KEYS[1], ARGV[1])
apply_ops(cells, tonumber(ARGV[3]), ARGV, 5)
save_cells(KEYS[1], cells, format, n, ARGV[2])
if not redis.call('SET', KEYS[2], ARGV[4], 'NX', 'PX', ARGV[2]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return {0}
end
local parked = redis.call('LRANGE', KEYS[3], 0, -1)
redis.call('DEL', KEYS[3])
local reply = {1}
for i = 1, #parked do reply[i + 1] = parked[i] end
return reply
`;

/**
 * A relation (following, blocked) as a ZSET: score +at while active, -at once ended (a
 * tombstone), so a late event older than the last change is ignored whatever the order.
 * KEYS: relation, user state.
 * ARGV: member, at ms, active (1/0), ttl ms, tombstone retention ms, cap, user template,
 * count cell (-1 for none), user ttl ms. Returns the change in active members: -1, 0 or 1.
 */
const UPDATE_RELATION = `${CELLS}
local member = ARGV[1]
local at = tonumber(ARGV[2])
local active = ARGV[3] == '1'
local was = false
local score = redis.call('ZSCORE', KEYS[1], member)
if score then
  score = tonumber(score)
  was = score > 0
  local last = math.abs(score)
  if at < last or (at == last and (was or not active)) then return 0 end
end
redis.call('ZADD', KEYS[1], active and at or -at, member)
redis.call('ZREMRANGEBYSCORE', KEYS[1], string.format('(%.17g', tonumber(ARGV[5]) - at), '(0')
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[6])
if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local delta = (active and 1 or 0) - (was and 1 or 0)
local count_cell = tonumber(ARGV[8])
if delta ~= 0 and count_cell >= 0 then
  local cells, format, n = load_cells(KEYS[2], ARGV[7])
  cells[count_cell + 1] = cells[count_cell + 1] + delta
  save_cells(KEYS[2], cells, format, n, ARGV[9])
end
return delta
`;

const SCRIPTS = {
  featureStoreUpdateCells: { numberOfKeys: 1, lua: UPDATE_CELLS },
  featureStoreUpdatePost: { numberOfKeys: 3, lua: UPDATE_POST },
  featureStoreCreatePost: { numberOfKeys: 3, lua: CREATE_POST },
  featureStoreUpdateRelation: { numberOfKeys: 2, lua: UPDATE_RELATION },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Idempotent: a client shared by several stores gets the same definitions again. */
export function defineScripts(redis: RedisClient): void {
  for (const [name, definition] of Object.entries(SCRIPTS)) redis.defineCommand(name, definition);
}

export type ScriptArgument = string | number | Buffer;

/** Queues a script on a pipeline (ioredis adds defined commands to pipelines, untyped). */
export function queueScript(
  pipeline: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArgument[],
): void {
  const commands = pipeline as unknown as Record<ScriptName, (...args: ScriptArgument[]) => void>;
  commands[name](...keys, ...args);
}
