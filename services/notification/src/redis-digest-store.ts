import type { RedisClient } from '@feedmesh/service-kit';
import type { DigestSubject } from './activity.js';
import { groupKeyOf } from './activity.js';
import {
  flushAtOf,
  LISTED_ACTORS,
  TRACKED_ACTORS,
  type DigestEntry,
  type DigestSettings,
  type DigestStore,
  type PendingDigest,
} from './digest-store.js';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * Keys of shard S (`{nd:S}`, chosen by the recipient), with `<id>` a digest id:
 * - `:due`            zset digest id -> when it is due (flush time, or lease end once claimed)
 * - `:open:<group>`   the id of the digest its subject's activity currently joins
 * - `:d:<id>`         hash: the subject, count, first/last activity, flush time
 * - `:d:<id>:actors`  zset actor -> time of their latest activity (capped at TRACKED_ACTORS)
 * - `:ev:<event id>`  marks an event as digested, for `eventMemoryMs`
 * A digest and its shard's due index share a hash tag, so every operation is one script.
 */
const ADD = new LuaScript(
  'notification.digest.add',
  `
local shard, eventId, group = ARGV[1], ARGV[2], ARGV[3]
local atMs, flushAt = tonumber(ARGV[10]), ARGV[11]
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[12]) then return 0 end
local id = redis.call('GET', KEYS[2])
local d
if id then
  d = shard .. ':d:' .. id
  local openFlushAt = tonumber(redis.call('HGET', d, 'flushAt') or '')
  if not openFlushAt or atMs >= openFlushAt then id = false end
end
if not id then
  id = eventId
  d = shard .. ':d:' .. id
  redis.call('HSET', d, 'group', group, 'userId', ARGV[4], 'type', ARGV[5], 'kind', ARGV[6],
    'postId', ARGV[7], 'blogId', ARGV[8], 'count', 0, 'firstAt', atMs, 'lastAt', atMs,
    'flushAt', flushAt, 'forgotten', 0)
  redis.call('ZADD', KEYS[1], flushAt, id)
  redis.call('SET', KEYS[2], id, 'PX', ARGV[13])
end
redis.call('HINCRBY', d, 'count', 1)
if atMs < tonumber(redis.call('HGET', d, 'firstAt')) then redis.call('HSET', d, 'firstAt', atMs) end
if atMs > tonumber(redis.call('HGET', d, 'lastAt')) then redis.call('HSET', d, 'lastAt', atMs) end
local actors = d .. ':actors'
redis.call('ZADD', actors, 'GT', atMs, ARGV[9])
local excess = redis.call('ZCARD', actors) - tonumber(ARGV[14])
if excess > 0 then
  redis.call('ZPOPMIN', actors, excess)
  redis.call('HINCRBY', d, 'forgotten', excess)
end
redis.call('PEXPIRE', d, ARGV[13])
redis.call('PEXPIRE', actors, ARGV[13])
return 1
`,
);

const CLAIM = new LuaScript(
  'notification.digest.claim',
  `
local shard = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(ids) do
  local d = shard .. ':d:' .. id
  local fields = redis.call('HGETALL', d)
  if #fields == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], ARGV[4], id)
    local open = shard .. ':open:' .. redis.call('HGET', d, 'group')
    if redis.call('GET', open) == id then redis.call('DEL', open) end
    local actors = d .. ':actors'
    claimed[#claimed + 1] = {id, fields, redis.call('ZREVRANGE', actors, 0, tonumber(ARGV[5]) - 1),
      redis.call('ZCARD', actors)}
  end
end
return claimed
`,
);

const COMPLETE = new LuaScript(
  'notification.digest.complete',
  `
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('DEL', KEYS[3], KEYS[4])
return 1
`,
);

const POSTPONE = new LuaScript(
  'notification.digest.postpone',
  `
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
redis.call('HSET', KEYS[3], 'flushAt', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return 1
`,
);

/** A digest's keys outlive any window or postponement by far; they exist only as a backstop. */
const DIGEST_KEY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface RedisDigestSettings extends DigestSettings {
  /** Fixed for a deployment: changing it strands the pending digests of the old shards. */
  readonly shards: number;
}

/**
 * Pending digests in Redis, so that they survive a restart and any replica's flusher can
 * deliver them. See DigestStore for the semantics.
 */
export class RedisDigestStore implements DigestStore {
  private nextShard = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: RedisDigestSettings,
  ) {}

  async add(entry: DigestEntry, nowMs: number): Promise<'added' | 'duplicate'> {
    const { subject } = entry;
    const shard = this.shardKey(subject.userId);
    const group = groupKeyOf(subject);
    const flushAtMs = flushAtOf(entry.atMs, nowMs, this.settings.windowMs);
    const reply = await ADD.run(
      this.redis,
      [`${shard}:due`, `${shard}:open:${group}`, `${shard}:ev:${entry.eventId}`],
      [
        shard,
        entry.eventId,
        group,
        subject.userId,
        subject.type,
        subject.activityKind,
        subject.postId,
        subject.blogId,
        entry.actorId,
        entry.atMs,
        flushAtMs,
        this.settings.eventMemoryMs,
        DIGEST_KEY_TTL_MS,
        TRACKED_ACTORS,
      ],
    );
    return reply === 1 ? 'added' : 'duplicate';
  }

  /** Visits the shards round-robin from where the last claim stopped, so none starves. */
  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<PendingDigest[]> {
    const claimed: PendingDigest[] = [];
    const { shards } = this.settings;
    for (let visited = 0; visited < shards && claimed.length < limit; visited++) {
      const shard = this.nextShard;
      this.nextShard = (this.nextShard + 1) % shards;
      const key = this.keys.digestShard(shard);
      const reply = await CLAIM.run(
        this.redis,
        [`${key}:due`],
        [key, nowMs, limit - claimed.length, nowMs + leaseMs, LISTED_ACTORS],
        { traced: false },
      );
      claimed.push(...parseClaimed(reply));
    }
    return claimed.sort((a, b) => a.flushAtMs - b.flushAtMs);
  }

  async complete(digest: PendingDigest): Promise<void> {
    const shard = this.shardKey(digest.subject.userId);
    await COMPLETE.run(this.redis, this.digestKeys(shard, digest), [digest.digestId]);
  }

  async postpone(digest: PendingDigest, untilMs: number): Promise<void> {
    const shard = this.shardKey(digest.subject.userId);
    await POSTPONE.run(this.redis, this.digestKeys(shard, digest), [
      digest.digestId,
      untilMs,
      DIGEST_KEY_TTL_MS,
    ]);
  }

  async pendingCount(): Promise<number> {
    const counts = await Promise.all(
      Array.from({ length: this.settings.shards }, (_, shard) =>
        redisCall('ZCARD', () => this.redis.zcard(`${this.keys.digestShard(shard)}:due`)),
      ),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  private shardKey(userId: string): string {
    return this.keys.digestShard(fnv1a32(userId) % this.settings.shards);
  }

  private digestKeys(shard: string, digest: PendingDigest): string[] {
    const d = `${shard}:d:${digest.digestId}`;
    return [`${shard}:due`, `${shard}:open:${groupKeyOf(digest.subject)}`, d, `${d}:actors`];
  }
}

function parseClaimed(reply: unknown): PendingDigest[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((item: unknown) => {
    const [digestId, flat, actorIds, actorCount] = item as [string, string[], string[], number];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] ?? '', flat[i + 1] ?? '');
    const number = (name: string): number => Number(fields.get(name) ?? 0);
    const subject: DigestSubject = {
      userId: fields.get('userId') ?? '',
      type: number('type'),
      activityKind: number('kind'),
      postId: fields.get('postId') ?? '',
      blogId: fields.get('blogId') ?? '',
    };
    return {
      digestId,
      subject,
      actorIds,
      actorCount: actorCount + number('forgotten'),
      count: number('count'),
      firstAtMs: number('firstAt'),
      lastAtMs: number('lastAt'),
      flushAtMs: number('flushAt'),
    };
  });
}

/** 32-bit FNV-1a over UTF-8: the same shard for a user in every process and version. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}
