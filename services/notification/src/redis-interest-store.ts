import type { RedisClient } from '@feedmesh/service-kit';
import {
  decayedLogWeight,
  type InterestKind,
  type InterestSettings,
  type InterestStore,
} from './interest-store.js';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';
import { resultOf, TickPipeline } from './tick-pipeline.js';

/**
 * Adds log-space weights to members of capped zsets sharing a hash tag (see
 * decayedLogWeight), each add as if alone: summed with the member's score (logAddExp), then
 * the weakest beyond the key's cap dropped. ARGV: ttl, then per key: cap, n, then n pairs of
 * member and log weight, in the order they were asked for.
 */
const ADD = new LuaScript(
  'notification.interest.add',
  `
local ttl = ARGV[1]
local at = 2
for k = 1, #KEYS do
  local key, cap, n = KEYS[k], tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  at = at + 2
  for i = 1, n do
    local member, add = ARGV[at], tonumber(ARGV[at + 1])
    at = at + 2
    local current = tonumber(redis.call('ZSCORE', key, member) or '')
    if current then
      local high, low = math.max(current, add), math.min(current, add)
      add = high + math.log(1 + math.exp(low - high))
    end
    redis.call('ZADD', key, string.format('%.17g', add), member)
    local excess = redis.call('ZCARD', key) - cap
    if excess > 0 then redis.call('ZREMRANGEBYRANK', key, 0, excess - 1) end
  end
  redis.call('PEXPIRE', key, ttl)
end
return 1
`,
);

/** Adds waiting for the next write of their hash tag: per key, its cap and the adds in order. */
interface SlotWrite {
  readonly keys: Map<string, { readonly cap: number; readonly adds: (string | number)[] }>;
  readonly waiters: { resolve(): void; reject(error: unknown): void }[];
}

/**
 * Keys: `{u:U}:top:<kind>` (the user's strongest blogs or tags) and `{b:B}:fans`,
 * `{t:T}:fans` (a blog's or tag's strongest fans). The two sides live in different slots and
 * are written by separate scripts; a crash between them leaves one side a little behind,
 * which the next engagement repairs.
 */
export class RedisInterestStore implements InterestStore {
  /** Adds not written yet, by hash tag; written on the next turn of the event loop. */
  private pending = new Map<string, SlotWrite>();
  private readonly ranks: TickPipeline;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: InterestSettings,
  ) {
    this.ranks = new TickPipeline(redis, 'ZREVRANK');
  }

  /**
   * Both sides of the affinity. Adds asked for in the same turn of the event loop (a batch
   * of events handled at once asks for many) are written together: one script per hash tag
   * instead of one per key and add, so a popular tag's fans or a user's tags take one round
   * trip. Resolves once written; adds to one key apply in the order they were asked for.
   */
  async add(
    userId: string,
    kind: InterestKind,
    target: string,
    weight: number,
    atMs: number,
  ): Promise<void> {
    const logWeight = decayedLogWeight(weight, atMs, this.settings.halfLifeMs);
    const { keptPerUser, fansPerTarget } = this.settings;
    await Promise.all([
      this.enqueue(
        this.keys.user(userId),
        this.topKey(userId, kind),
        keptPerUser,
        target,
        logWeight,
      ),
      this.enqueue(
        this.ownerOf(kind, target),
        this.fansKey(kind, target),
        fansPerTarget,
        userId,
        logWeight,
      ),
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

  /**
   * One ZREVRANK per user (their lists live in different slots), through a `TickPipeline`: a
   * post's thousand fans go as one write and one traced round trip on a single Redis (with
   * whatever else asked in the same turn), each on its own on a Cluster.
   */
  async amongTop(
    userIds: readonly string[],
    kind: InterestKind,
    target: string,
    top: number,
  ): Promise<string[]> {
    const ranks = await Promise.all(
      userIds.map(async (userId) => {
        const [reply] = await this.ranks.send((pipeline) =>
          pipeline.zrevrank(this.topKey(userId, kind), target),
        );
        return resultOf(reply, 'ZREVRANK');
      }),
    );
    return userIds.filter((_, i) => {
      const rank = ranks[i];
      return typeof rank === 'number' && rank < top;
    });
  }

  private enqueue(
    slot: string,
    key: string,
    cap: number,
    member: string,
    logWeight: number,
  ): Promise<void> {
    if (this.pending.size === 0) setImmediate(() => void this.writePending());
    let write = this.pending.get(slot);
    if (write === undefined) {
      write = { keys: new Map(), waiters: [] };
      this.pending.set(slot, write);
    }
    let forKey = write.keys.get(key);
    if (forKey === undefined) {
      forKey = { cap, adds: [] };
      write.keys.set(key, forKey);
    }
    forKey.adds.push(member, logWeight);
    const waiters = write.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /** One script per hash tag (a Cluster runs each on its slot's node), all in one pipeline. */
  private async writePending(): Promise<void> {
    const writes = [...this.pending.values()];
    this.pending = new Map();
    const calls = writes.map(({ keys }) => {
      const args: (string | number)[] = [this.settings.ttlMs];
      for (const { cap, adds } of keys.values()) args.push(cap, adds.length / 2, ...adds);
      return { keys: [...keys.keys()], args };
    });
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await ADD.runAll(this.redis, calls);
    } catch (error) {
      outcomes = calls.map(() => ({ status: 'rejected', reason: error }));
    }
    writes.forEach(({ waiters }, i) => {
      const outcome = outcomes[i];
      for (const waiter of waiters) {
        if (outcome?.status === 'fulfilled') waiter.resolve();
        else waiter.reject(outcome?.reason ?? new Error('no reply'));
      }
    });
  }

  private topKey(userId: string, kind: InterestKind): string {
    return `${this.keys.user(userId)}:top:${kind}`;
  }

  private fansKey(kind: InterestKind, target: string): string {
    return `${this.ownerOf(kind, target)}:fans`;
  }

  /** The hash tag of a blog's or tag's keys. */
  private ownerOf(kind: InterestKind, target: string): string {
    return kind === 'blog' ? this.keys.blog(target) : this.keys.tag(target);
  }
}
