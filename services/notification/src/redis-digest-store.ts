import type { RedisClient } from '@feedmesh/service-kit';
import type { DigestSubject } from './activity.js';
import { groupKeyOf } from './activity.js';
import {
  flushAtOf,
  LISTED_ACTORS,
  LISTED_POSTS,
  TRACKED_ACTORS,
  TRACKED_POSTS,
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
 * - `:d:<id>:posts`   zset post -> time of its latest entry (capped at TRACKED_POSTS; a claim
 *                     lists the LISTED_POSTS most recent)
 * - `:d:<id>:repeats` hash actor -> entries of a tracked actor beyond its first (only actors
 *                     with more than one: a new post's fan-out costs no extra write)
 * - `:ev:<event id>`  marks an entry as digested, for `eventMemoryMs`
 * A digest and its shard's due index share a hash tag, so every operation is one script.
 *
 * ADD takes every entry of one shard in one call (a new post's fan-out puts hundreds in each):
 * ARGV is the shard, TRACKED_ACTORS, the event memory and the keys' time to live (ms), the
 * number of entries, then per entry: event id, group, user, type, kind, post, blog, topic,
 * at (ms), flush at (ms), #actors, #posts, the actors, the posts. The i-th of an entry's actors
 * (and posts) is scored `atMs - i`, so the order an entry lists them in is kept. Returns 1
 * (added) or 0 (a duplicate) per entry, in order.
 *
 * The keys' time to live is a backstop (a digest is completed, and deleted, within its window
 * or a postponement, which sets it again): it is set when a key is created, not on every entry.
 */
const ADD = new LuaScript(
  'notification.digest.add',
  `
local due, shard = KEYS[1], ARGV[1]
local tracked, memory, ttl = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local out, a = {}, 6
for e = 1, tonumber(ARGV[5]) do
  local b = a
  local eventId, group = ARGV[b], ARGV[b + 1]
  local atMs, flushAt = tonumber(ARGV[b + 8]), ARGV[b + 9]
  local nActors, nPosts = tonumber(ARGV[b + 10]), tonumber(ARGV[b + 11])
  a = b + 12 + nActors + nPosts
  if not redis.call('SET', shard .. ':ev:' .. eventId, '1', 'NX', 'PX', memory) then
    out[e] = 0
  else
    out[e] = 1
    local open = shard .. ':open:' .. group
    local id = redis.call('GET', open)
    local d, times
    if id then
      d = shard .. ':d:' .. id
      times = redis.call('HMGET', d, 'flushAt', 'firstAt', 'lastAt')
      local openFlushAt = tonumber(times[1] or '')
      if not openFlushAt or atMs >= openFlushAt then id = false end
    end
    if id then
      redis.call('HINCRBY', d, 'count', 1)
      if atMs < tonumber(times[2]) then redis.call('HSET', d, 'firstAt', atMs) end
      if atMs > tonumber(times[3]) then redis.call('HSET', d, 'lastAt', atMs) end
    else
      id = eventId
      d = shard .. ':d:' .. id
      redis.call('HSET', d, 'group', group, 'userId', ARGV[b + 2], 'type', ARGV[b + 3],
        'kind', ARGV[b + 4], 'postId', ARGV[b + 5], 'blogId', ARGV[b + 6], 'topic', ARGV[b + 7],
        'count', 1, 'firstAt', atMs, 'lastAt', atMs, 'flushAt', flushAt, 'forgotten', 0)
      redis.call('PEXPIRE', d, ttl)
      redis.call('ZADD', due, flushAt, id)
      redis.call('SET', open, id, 'PX', ttl)
    end
    local actors, posts, repeats = d .. ':actors', d .. ':posts', d .. ':repeats'
    for i = 1, nActors do
      local actor = ARGV[b + 11 + i]
      -- 0: the actor was tracked already; this entry is one more of theirs.
      if redis.call('ZADD', actors, 'GT', atMs - i + 1, actor) == 0 then
        if redis.call('HINCRBY', repeats, actor, 1) == 1 then redis.call('PEXPIRE', repeats, ttl) end
      end
    end
    for i = 1, nPosts do
      redis.call('ZADD', posts, 'GT', atMs - i + 1, ARGV[b + 11 + nActors + i])
    end
    if nActors > 0 then
      local count = redis.call('ZCARD', actors)
      -- No more members than this entry's: the set is new (or holds only these), so no TTL.
      if count <= nActors then redis.call('PEXPIRE', actors, ttl) end
      if count > tracked then
        local popped = redis.call('ZPOPMIN', actors, count - tracked)
        for j = 1, #popped, 2 do redis.call('HDEL', repeats, popped[j]) end
        redis.call('HINCRBY', d, 'forgotten', count - tracked)
      end
    end
    if nPosts > 0 then
      local count = redis.call('ZCARD', posts)
      if count <= nPosts then redis.call('PEXPIRE', posts, ttl) end
      if count > ${TRACKED_POSTS} then redis.call('ZPOPMIN', posts, count - ${TRACKED_POSTS}) end
    end
  end
end
return out
`,
);

/**
 * Claims due digests of one or more shards: KEYS are the shards' due indexes, ARGV now (ms),
 * the most to claim per shard, the lease's end (ms), LISTED_ACTORS, LISTED_POSTS, then each
 * shard's key prefix. A standalone Redis takes every shard in one call; a Cluster one call per
 * shard.
 */
const CLAIM = new LuaScript(
  'notification.digest.claim',
  `
local claimed = {}
for s = 1, #KEYS do
  local due, shard = KEYS[s], ARGV[5 + s]
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
  for _, id in ipairs(ids) do
    local d = shard .. ':d:' .. id
    local fields = redis.call('HGETALL', d)
    if #fields == 0 then
      redis.call('ZREM', due, id)
    else
      redis.call('ZADD', due, ARGV[3], id)
      local open = shard .. ':open:' .. redis.call('HGET', d, 'group')
      if redis.call('GET', open) == id then redis.call('DEL', open) end
      local actors = d .. ':actors'
      claimed[#claimed + 1] = {id, fields, redis.call('ZREVRANGE', actors, 0, tonumber(ARGV[4]) - 1),
        redis.call('ZCARD', actors), redis.call('ZREVRANGE', d .. ':posts', 0, tonumber(ARGV[5]) - 1)}
    end
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
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6])
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
redis.call('PEXPIRE', KEYS[6], ARGV[3])
return 1
`,
);

/**
 * Entries of each of ARGV's actors in a digest: KEYS are its actors and repeats. 0 for an actor
 * it does not track.
 */
const ACTOR_ENTRIES = new LuaScript(
  'notification.digest.actor-entries',
  `
local tracked = redis.call('ZMSCORE', KEYS[1], unpack(ARGV))
local repeats = redis.call('HMGET', KEYS[2], unpack(ARGV))
local out = {}
for i = 1, #ARGV do
  if tracked[i] then out[i] = 1 + tonumber(repeats[i] or '0') else out[i] = 0 end
end
return out
`,
);

/**
 * Entries per ADD call. A script holds Redis for its whole run, and an entry of a new post's
 * fan-out took 27-46 µs of Redis time (measured over 1,000-fan posts): 40 keep a call to one
 * or two milliseconds, so a trending fan-out (up to 5,000 fans) does not stall every other
 * client of the Redis for long at a time.
 */
const ADD_ENTRIES_PER_CALL = 40;

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
    const [outcome] = await this.addAll([entry], nowMs);
    return outcome!;
  }

  /**
   * One ADD call per shard the entries fall in (per ADD_ENTRIES_PER_CALL of them), all in one
   * pipeline on a single Redis.
   */
  async addAll(entries: readonly DigestEntry[], nowMs: number): Promise<('added' | 'duplicate')[]> {
    if (entries.length === 0) return [];
    const byShard = new Map<string, number[]>();
    entries.forEach((entry, index) => {
      const shard = this.shardKey(entry.subject.userId);
      const indexes = byShard.get(shard);
      if (indexes === undefined) byShard.set(shard, [index]);
      else indexes.push(index);
    });
    const shards: [string, number[]][] = [];
    for (const [shard, indexes] of byShard) {
      for (let from = 0; from < indexes.length; from += ADD_ENTRIES_PER_CALL) {
        shards.push([shard, indexes.slice(from, from + ADD_ENTRIES_PER_CALL)]);
      }
    }
    const settled = await ADD.runAll(
      this.redis,
      shards.map(([shard, indexes]) => this.addCall(shard, indexes, entries, nowMs)),
    );
    const outcomes = new Array<'added' | 'duplicate'>(entries.length);
    settled.forEach((outcome, i) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      const replies = outcome.value as number[];
      shards[i]![1].forEach((index, j) => {
        outcomes[index] = replies[j] === 1 ? 'added' : 'duplicate';
      });
    });
    return outcomes;
  }

  private addCall(
    shard: string,
    indexes: readonly number[],
    entries: readonly DigestEntry[],
    nowMs: number,
  ): { keys: string[]; args: (string | number)[] } {
    const args: (string | number)[] = [
      shard,
      TRACKED_ACTORS,
      this.settings.eventMemoryMs,
      DIGEST_KEY_TTL_MS,
      indexes.length,
    ];
    for (const index of indexes) {
      const entry = entries[index]!;
      const { subject } = entry;
      const actorIds = entry.actorIds.filter((actorId) => actorId !== '');
      const postIds = entry.postIds ?? [];
      args.push(
        entry.eventId,
        groupKeyOf(subject),
        subject.userId,
        subject.type,
        subject.activityKind,
        subject.postId,
        subject.blogId,
        subject.topic,
        entry.atMs,
        flushAtOf(entry.atMs, nowMs, entry.windowMs ?? this.settings.windowMs),
        actorIds.length,
        postIds.length,
        ...actorIds,
        ...postIds,
      );
    }
    return { keys: [`${shard}:due`], args };
  }

  /**
   * Claims from every shard (or the users' shards) at once, up to ceil(limit / shards) from
   * each: one script call on a standalone Redis (a flusher's idle look every
   * NOTIFICATION_FLUSH_INTERVAL_MS is one command, not one per shard), one per shard sent
   * together on a Cluster; no shard starves another.
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
    const claim = (group: readonly number[]) => {
      const prefixes = group.map((shard) => this.keys.digestShard(shard));
      return CLAIM.run(
        this.redis,
        prefixes.map((prefix) => `${prefix}:due`),
        [nowMs, perShard, nowMs + leaseMs, LISTED_ACTORS, LISTED_POSTS, ...prefixes],
        { traced: false },
      );
    };
    // One call for every shard where they share a server; on a Cluster, one per shard.
    const replies = await Promise.all(
      this.redis.isCluster ? shards.map((shard) => claim([shard])) : [claim(shards)],
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

  async actorEntries(
    digest: Pick<PendingDigest, 'digestId' | 'subject'>,
    actorIds: readonly string[],
  ): Promise<Map<string, number>> {
    const entries = new Map<string, number>();
    const asked = [...new Set(actorIds)].filter((actorId) => actorId !== '');
    if (asked.length === 0) return entries;
    const d = `${this.shardKey(digest.subject.userId)}:d:${digest.digestId}`;
    const made = (await ACTOR_ENTRIES.run(
      this.redis,
      [`${d}:actors`, `${d}:repeats`],
      asked,
    )) as number[];
    asked.forEach((actorId, i) => {
      if ((made[i] ?? 0) > 0) entries.set(actorId, made[i]!);
    });
    return entries;
  }

  /** The whole posts set (at most TRACKED_POSTS): one read, only for the deleted-post policy. */
  async trackedPostIds(digest: Pick<PendingDigest, 'digestId' | 'subject'>): Promise<string[]> {
    const posts = `${this.shardKey(digest.subject.userId)}:d:${digest.digestId}:posts`;
    return redisCall('ZREVRANGE', () => this.redis.zrevrange(posts, 0, -1));
  }

  private shardKey(userId: string): string {
    return this.keys.digestShard(shardOf(userId, this.settings.shards));
  }

  private digestKeys(shard: string, digest: PendingDigest): string[] {
    const d = `${shard}:d:${digest.digestId}`;
    const open = `${shard}:open:${groupKeyOf(digest.subject)}`;
    return [`${shard}:due`, open, d, `${d}:actors`, `${d}:posts`, `${d}:repeats`];
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
