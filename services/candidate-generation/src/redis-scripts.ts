import type { RedisClient } from '@feedmesh/service-kit';
import type { ChainableCommander } from 'ioredis';
import { PRUNE_SLACK } from './trend-buckets.js';

/**
 * The Lua the Redis store needs where a read-modify-write must be atomic. Each script touches
 * one key, or keys sharing one hash tag, so it runs on a Redis Cluster. Scores are written
 * with %.17g: Lua's default number formatting keeps only 14 digits.
 */

// ln(e^a + e^b), the same formula as decay.ts logSumExp.
const LOG_SUM_EXP = `
local function lse(a, b)
  if a < b then a, b = b, a end
  return a + math.log(1 + math.exp(b - a))
end`;

/** KEYS[1] sorted set; ARGV: cap, ttlMs, then member, log-increment pairs. */
const LOG_ADD = `${LOG_SUM_EXP}
for i = 3, #ARGV, 2 do
  local value = tonumber(ARGV[i + 1])
  local current = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if current then value = lse(tonumber(current), value) end
  redis.call('ZADD', KEYS[1], string.format('%.17g', value), ARGV[i])
end
local cap = tonumber(ARGV[1])
local size = redis.call('ZCARD', KEYS[1])
if cap > 0 and size > cap then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - cap - 1) end
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/**
 * KEYS[1] a post's hash; ARGV: log-increment, ttlMs. Adds to the post's popularity and counts
 * the engagement, unless the post was deleted.
 */
const POST_ENGAGED = `${LOG_SUM_EXP}
if redis.call('HEXISTS', KEYS[1], 'deleted') == 1 then return 0 end
local value = tonumber(ARGV[1])
local current = redis.call('HGET', KEYS[1], 'pop')
if current then value = lse(tonumber(current), value) end
redis.call('HSET', KEYS[1], 'pop', string.format('%.17g', value))
redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS[1] a hash of bucket -> count; ARGV: bucket, keep, ttlMs. */
const BUCKET_INCR = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local keep = tonumber(ARGV[2])
if redis.call('HLEN', KEYS[1]) > keep + ${PRUNE_SLACK} then
  local fields = redis.call('HKEYS', KEYS[1])
  local newest = nil
  for _, field in ipairs(fields) do
    local bucket = tonumber(field)
    if newest == nil or bucket > newest then newest = bucket end
  end
  for _, field in ipairs(fields) do
    if tonumber(field) <= newest - keep then redis.call('HDEL', KEYS[1], field) end
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** KEYS[1] a post's hash; ARGV: ttlMs, then field, value pairs. 0 when the post was deleted. */
const PUT_POST = `
if redis.call('HEXISTS', KEYS[1], 'deleted') == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * KEYS[1] a post's hash; ARGV: deletedAtMs, tombstoneMs. Replaces the post by a tombstone and
 * returns its blog and tags (for removing it from their indexes), or false if it was already
 * deleted.
 */
const DELETE_POST = `
if redis.call('HEXISTS', KEYS[1], 'deleted') == 1 then return false end
local previous = redis.call('HMGET', KEYS[1], 'blog', 'tags')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'deleted', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return previous`;

/**
 * KEYS[1] the user's follows, KEYS[2] their unfollows (tombstones), both blog -> atMs;
 * ARGV: blog, atMs, 1 to follow or 0 to unfollow, cap, ttlMs. Newer wins; at equal times an
 * unfollow wins, so the outcome does not depend on delivery order.
 */
const SET_FOLLOW = `
local at = tonumber(ARGV[2])
local followed = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1')
local unfollowed = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1')
if ARGV[3] == '1' then
  if at <= followed or at <= unfollowed then return 0 end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  if at < followed or at <= unfollowed then return 0 end
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end
local cap = tonumber(ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -cap - 1)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -cap - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`;

const SCRIPTS = {
  feedmeshCgLogAdd: { numberOfKeys: 1, lua: LOG_ADD },
  feedmeshCgPostEngaged: { numberOfKeys: 1, lua: POST_ENGAGED },
  feedmeshCgBucketIncr: { numberOfKeys: 1, lua: BUCKET_INCR },
  feedmeshCgPutPost: { numberOfKeys: 1, lua: PUT_POST },
  feedmeshCgDeletePost: { numberOfKeys: 1, lua: DELETE_POST },
  feedmeshCgSetFollow: { numberOfKeys: 2, lua: SET_FOLLOW },
} as const;

type Arg = string | number;

/** The scripts as commands of a pipeline (ioredis sends EVAL once per connection, then EVALSHA). */
export interface ScriptCommands {
  feedmeshCgLogAdd(key: string, cap: number, ttlMs: number, ...memberIncrements: Arg[]): unknown;
  feedmeshCgPostEngaged(key: string, increment: number, ttlMs: number): unknown;
  feedmeshCgBucketIncr(key: string, bucket: number, keep: number, ttlMs: number): unknown;
  feedmeshCgPutPost(key: string, ttlMs: number, ...fieldValues: Arg[]): unknown;
  feedmeshCgDeletePost(key: string, deletedAtMs: number, tombstoneMs: number): unknown;
  feedmeshCgSetFollow(
    followsKey: string,
    unfollowsKey: string,
    blogId: string,
    atMs: number,
    following: 0 | 1,
    cap: number,
    ttlMs: number,
  ): unknown;
}

export type ScriptPipeline = ChainableCommander & ScriptCommands;

/**
 * Defines the scripts on the client once. The client may be shared by several services in
 * one process (the playground), hence the project-specific names.
 */
export function defineScripts(client: RedisClient): void {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (typeof (client as unknown as Record<string, unknown>)[name] === 'function') continue;
    client.defineCommand(name, script);
  }
}
