import type { RedisClient } from '@feedmesh/service-kit';
import { isNoScript, LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';
import type { LapseCheck, SessionRecord, SessionSettings, SessionStore } from './session-store.js';
import { shardOf } from './shard.js';
import { resultOf, TickPipeline } from './tick-pipeline.js';

/** `{u:U}:session` hash `last`, `reactivatedFor`: keeps the larger of each. ARGV: field, ms, ttl. */
const RAISE = new LuaScript(
  'notification.session.raise',
  `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
if ARGV[1] == 'last' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
`,
);

/** `{ns:S}:due` zset user -> when their lapse check is due (or their lease ends). */
const CLAIM = new LuaScript(
  'notification.session.claim',
  `
local users = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, user in ipairs(users) do redis.call('ZADD', KEYS[1], ARGV[3], user) end
return users
`,
);

const COMPLETE = new LuaScript(
  'notification.session.complete',
  `
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
`,
);

export interface RedisSessionSettings extends SessionSettings {
  /** Fixed for a deployment, like the digest shards. */
  readonly shards: number;
}

/**
 * Sessions in Redis: the record under the user's tag, the lapse schedule in shards (`{ns:S}`)
 * so claims are one script per shard. Recording is two writes in two slots; each is
 * idempotent and only moves forward, so a crash between them is repaired by the redelivery.
 */
export class RedisSessionStore implements SessionStore {
  private nextShard = 0;
  private readonly writes: TickPipeline;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: RedisSessionSettings,
  ) {
    this.writes = new TickPipeline(redis, 'session.record');
  }

  /**
   * Both writes go with the other writes of this turn of the event loop (a batch's). They are
   * in two slots, so on a Cluster they go on their own.
   */
  async record(userId: string, atMs: number): Promise<void> {
    const due = this.dueKey(shardOf(userId, this.settings.shards));
    const raise = { keys: [this.sessionKey(userId)], args: ['last', atMs, this.settings.memoryMs] };
    const dueAtMs = atMs + this.settings.lapseMs;
    if (this.redis.isCluster) {
      await Promise.all([
        RAISE.run(this.redis, raise.keys, raise.args),
        redisCall('ZADD GT', () => this.redis.zadd(due, 'GT', dueAtMs, userId)),
      ]);
      return;
    }
    const [raised, scheduled] = await this.writes.send((pipeline) => {
      RAISE.addTo(pipeline, raise.keys, raise.args);
      pipeline.zadd(due, 'GT', dueAtMs, userId);
    });
    resultOf(scheduled, 'ZADD GT');
    if (raised?.[0] != null && isNoScript(raised[0])) {
      await RAISE.run(this.redis, raise.keys, raise.args);
    } else {
      resultOf(raised, RAISE.name);
    }
  }

  async get(userId: string): Promise<SessionRecord | undefined> {
    const key = this.sessionKey(userId);
    const [last, reactivatedFor] = await redisCall('HMGET', () =>
      this.redis.hmget(key, 'last', 'reactivatedFor'),
    );
    if (last === null || last === undefined) return undefined;
    return { lastAtMs: Number(last), reactivatedForMs: Number(reactivatedFor ?? 0) };
  }

  /** Shards take turns, from where the last claim stopped. */
  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<LapseCheck[]> {
    const claimed: LapseCheck[] = [];
    const leaseUntilMs = nowMs + leaseMs;
    for (let visited = 0; visited < this.settings.shards && claimed.length < limit; visited++) {
      const shard = this.nextShard;
      this.nextShard = (this.nextShard + 1) % this.settings.shards;
      const users = (await CLAIM.run(
        this.redis,
        [this.dueKey(shard)],
        [nowMs, limit - claimed.length, leaseUntilMs],
        { traced: false },
      )) as string[];
      for (const userId of users) claimed.push({ userId, leaseUntilMs });
    }
    return claimed;
  }

  async complete(check: LapseCheck): Promise<void> {
    const due = this.dueKey(shardOf(check.userId, this.settings.shards));
    await COMPLETE.run(this.redis, [due], [check.userId, check.leaseUntilMs]);
  }

  async markReactivated(userId: string, lastAtMs: number): Promise<void> {
    await RAISE.run(this.redis, [this.sessionKey(userId)], ['reactivatedFor', lastAtMs, 0]);
  }

  private sessionKey(userId: string): string {
    return `${this.keys.user(userId)}:session`;
  }

  private dueKey(shard: number): string {
    return `${this.keys.sessionShard(shard)}:due`;
  }
}
