import type { RedisClient } from '@feedmesh/service-kit';
import type { DigestSubject } from './activity.js';
import { groupKeyOf } from './activity.js';
import {
  flushAtOf,
  LISTED_ACTORS,
  LISTED_POSTS,
  TRACKED_ACTORS,
  type DigestEntry,
  type DigestSettings,
  type DigestStore,
  type PendingDigest,
} from './digest-store.js';
import { LuaScript, redisCall } from './redis-call.js';
import { shardOf } from './shard.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * Keys of shard S (`{nd:S}`, chosen by the recipient), with `<id>` a digest id:
 * - `:due`            zset digest id -> when it is due (flush time, or lease end once claimed)
 * - `:open:<group>`   the id of the digest its subject's activity currently joins
 * - `:d:<id>`         hash: the subject, count, first/last activity, flush time
 * - `:d:<id>:actors`  zset actor -> time of their latest activity (capped at TRACKED_ACTORS)
 * - `:d:<id>:posts`   zset post -> time of its latest entry (capped at LISTED_POSTS)
 * - `:ev:<event id>`  marks an entry as digested, for `eventMemoryMs`
 * A digest and its shard's due index share a hash tag, so every operation is one script.
 * ARGV[15] actors follow from ARGV[17], then ARGV[16] posts; the i-th of an entry's actors (and
 * posts) is scored `atMs - i`, so the order an entry lists them in is kept.
 */
const ADD = new LuaScript(
  'notification.digest.add',
  `
local shard, eventId, group = ARGV[1], ARGV[2], ARGV[3]
local atMs, flushAt = tonumber(ARGV[11]), ARGV[12]
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[13]) then return 0 end
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
    'postId', ARGV[7], 'blogId', ARGV[8], 'topic', ARGV[9], 'count', 0, 'firstAt', atMs,
    'lastAt', atMs, 'flushAt', flushAt, 'forgotten', 0)
  redis.call('ZADD', KEYS[1], flushAt, id)
  redis.call('SET', KEYS[2], id, 'PX', ARGV[14])
end
redis.call('HINCRBY', d, 'count', 1)
if atMs < tonumber(redis.call('HGET', d, 'firstAt')) then redis.call('HSET', d, 'firstAt', atMs) end
if atMs > tonumber(redis.call('HGET', d, 'lastAt')) then redis.call('HSET', d, 'lastAt', atMs) end
local actors, posts = d .. ':actors', d .. ':posts'
local nActors, nPosts = tonumber(ARGV[15]), tonumber(ARGV[16])
for i = 1, nActors do redis.call('ZADD', actors, 'GT', atMs - i + 1, ARGV[16 + i]) end
for i = 1, nPosts do redis.call('ZADD', posts, 'GT', atMs - i + 1, ARGV[16 + nActors + i]) end
local excess = redis.call('ZCARD', actors) - tonumber(ARGV[10])
if excess > 0 then
  redis.call('ZPOPMIN', actors, excess)
  redis.call('HINCRBY', d, 'forgotten', excess)
end
local extraPosts = redis.call('ZCARD', posts) - ${LISTED_POSTS}
if extraPosts > 0 then redis.call('ZPOPMIN', posts, extraPosts) end
redis.call('PEXPIRE', d, ARGV[14])
redis.call('PEXPIRE', actors, ARGV[14])
redis.call('PEXPIRE', posts, ARGV[14])
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
      redis.call('ZCARD', actors), redis.call('ZREVRANGE', d .. ':posts', 0, -1)}
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
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
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
redis.call('PEXPIRE', KEYS[5], ARGV[3])
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
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: RedisDigestSettings,
  ) {}

  async add(entry: DigestEntry, nowMs: number): Promise<'added' | 'duplicate'> {
    const { keys, args } = this.addCall(entry, nowMs);
    const reply = await ADD.run(this.redis, keys, args);
    return reply === 1 ? 'added' : 'duplicate';
  }

  /** One pipeline of ADD calls on a single Redis (each on its own on a Cluster). */
  async addAll(entries: readonly DigestEntry[], nowMs: number): Promise<('added' | 'duplicate')[]> {
    if (entries.length === 0) return [];
    const settled = await ADD.runAll(
      this.redis,
      entries.map((entry) => this.addCall(entry, nowMs)),
    );
    return settled.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value === 1 ? 'added' : 'duplicate';
    });
  }

  private addCall(
    entry: DigestEntry,
    nowMs: number,
  ): { keys: string[]; args: (string | number)[] } {
    const { subject } = entry;
    const shard = this.shardKey(subject.userId);
    const group = groupKeyOf(subject);
    const flushAtMs = flushAtOf(entry.atMs, nowMs, entry.windowMs ?? this.settings.windowMs);
    const actorIds = entry.actorIds.filter((actorId) => actorId !== '');
    const postIds = entry.postIds ?? [];
    return {
      keys: [`${shard}:due`, `${shard}:open:${group}`, `${shard}:ev:${entry.eventId}`],
      args: [
        shard,
        entry.eventId,
        group,
        subject.userId,
        subject.type,
        subject.activityKind,
        subject.postId,
        subject.blogId,
        subject.topic,
        TRACKED_ACTORS,
        entry.atMs,
        flushAtMs,
        this.settings.eventMemoryMs,
        DIGEST_KEY_TTL_MS,
        actorIds.length,
        postIds.length,
        ...actorIds,
        ...postIds,
      ],
    };
  }

  /**
   * Claims from every shard (or the users' shards) at once, up to ceil(limit / shards) from
   * each: one round trip's latency however many shards, and no shard starves another.
   */
  async claimDue(
    nowMs: number,
    limit: number,
    leaseMs: number,
    users?: readonly string[],
  ): Promise<PendingDigest[]> {
    const shards =
      users === undefined
        ? Array.from({ length: this.settings.shards }, (_, shard) => shard)
        : [...new Set(users.map((userId) => shardOf(userId, this.settings.shards)))];
    const perShard = Math.max(1, Math.ceil(limit / Math.max(1, shards.length)));
    const replies = await Promise.all(
      shards.map((shard) => {
        const key = this.keys.digestShard(shard);
        return CLAIM.run(
          this.redis,
          [`${key}:due`],
          [key, nowMs, perShard, nowMs + leaseMs, LISTED_ACTORS],
          { traced: false },
        );
      }),
    );
    return replies.flatMap(parseClaimed).sort((a, b) => a.flushAtMs - b.flushAtMs);
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
    return this.keys.digestShard(shardOf(userId, this.settings.shards));
  }

  private digestKeys(shard: string, digest: PendingDigest): string[] {
    const d = `${shard}:d:${digest.digestId}`;
    const open = `${shard}:open:${groupKeyOf(digest.subject)}`;
    return [`${shard}:due`, open, d, `${d}:actors`, `${d}:posts`];
  }
}

function parseClaimed(reply: unknown): PendingDigest[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((item: unknown) => {
    const [digestId, flat, actorIds, actorCount, postIds] = item as [
      string,
      string[],
      string[],
      number,
      string[],
    ];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] ?? '', flat[i + 1] ?? '');
    const number = (name: string): number => Number(fields.get(name) ?? 0);
    const subject: DigestSubject = {
      userId: fields.get('userId') ?? '',
      type: number('type'),
      activityKind: number('kind'),
      postId: fields.get('postId') ?? '',
      blogId: fields.get('blogId') ?? '',
      topic: fields.get('topic') ?? '',
    };
    return {
      digestId,
      subject,
      actorIds,
      actorCount: actorCount + number('forgotten'),
      postIds,
      count: number('count'),
      firstAtMs: number('firstAt'),
      lastAtMs: number('lastAt'),
      flushAtMs: number('flushAt'),
    };
  });
}
