import type { RedisClient } from '@feedmesh/service-kit';
import {
  decayedLogWeight,
  type InterestKind,
  type InterestSettings,
  type InterestStore,
} from './interest-store.js';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * Adds a log-space weight to a member of a capped zset (see decayedLogWeight), dropping the
 * weakest beyond the cap. ARGV: member, log weight, cap, ttl.
 */
const ADD = new LuaScript(
  'notification.interest.add',
  `
local add = tonumber(ARGV[2])
local current = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '')
if current then
  local high, low = math.max(current, add), math.min(current, add)
  add = high + math.log(1 + math.exp(low - high))
end
redis.call('ZADD', KEYS[1], string.format('%.17g', add), ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
);

/**
 * Keys: `{u:U}:top:<kind>` (the user's strongest blogs or tags) and `{b:B}:fans`,
 * `{t:T}:fans` (a blog's or tag's strongest fans). The two sides live in different slots and
 * are written by separate scripts; a crash between them leaves one side a little behind,
 * which the next engagement repairs.
 */
export class RedisInterestStore implements InterestStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: InterestSettings,
  ) {}

  async add(
    userId: string,
    kind: InterestKind,
    target: string,
    weight: number,
    atMs: number,
  ): Promise<void> {
    const logWeight = decayedLogWeight(weight, atMs, this.settings.halfLifeMs);
    const { keptPerUser, fansPerTarget, ttlMs } = this.settings;
    await Promise.all([
      ADD.run(this.redis, [this.topKey(userId, kind)], [target, logWeight, keptPerUser, ttlMs]),
      ADD.run(this.redis, [this.fansKey(kind, target)], [userId, logWeight, fansPerTarget, ttlMs]),
    ]);
  }

  async forget(userId: string, kind: InterestKind, target: string): Promise<void> {
    const top = this.topKey(userId, kind);
    const fans = this.fansKey(kind, target);
    await Promise.all([
      redisCall('ZREM', () => this.redis.zrem(top, target)),
      redisCall('ZREM', () => this.redis.zrem(fans, userId)),
    ]);
  }

  async fans(kind: InterestKind, target: string, limit: number): Promise<string[]> {
    const key = this.fansKey(kind, target);
    return redisCall('ZREVRANGE', () => this.redis.zrevrange(key, 0, limit - 1));
  }

  /** One ZREVRANK per user: their lists live in different slots. */
  async amongTop(
    userIds: readonly string[],
    kind: InterestKind,
    target: string,
    top: number,
  ): Promise<string[]> {
    const ranks = await Promise.all(
      userIds.map((userId) =>
        redisCall('ZREVRANK', () => this.redis.zrevrank(this.topKey(userId, kind), target)),
      ),
    );
    return userIds.filter((_, i) => {
      const rank = ranks[i];
      return rank !== null && rank !== undefined && rank < top;
    });
  }

  private topKey(userId: string, kind: InterestKind): string {
    return `${this.keys.user(userId)}:top:${kind}`;
  }

  private fansKey(kind: InterestKind, target: string): string {
    return `${kind === 'blog' ? this.keys.blog(target) : this.keys.tag(target)}:fans`;
  }
}
