import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@feedmesh/service-kit';
import { LuaScript } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

export type FatigueDecision =
  | { readonly granted: true }
  /** The window is full; a slot frees at `retryAtMs`. */
  | { readonly granted: false; readonly retryAtMs: number };

/**
 * Sliding-window counts of what each user was sent, per type: a slot is granted while fewer
 * than `max` were granted in the last `windowMs`, and taking it counts the send.
 */
export interface FatigueStore {
  acquire(
    userId: string,
    type: number,
    nowMs: number,
    limit: { readonly max: number; readonly windowMs: number },
  ): Promise<FatigueDecision>;
}

export class InMemoryFatigueStore implements FatigueStore {
  private readonly sends = new Map<string, number[]>();

  async acquire(
    userId: string,
    type: number,
    nowMs: number,
    limit: { readonly max: number; readonly windowMs: number },
  ): Promise<FatigueDecision> {
    const key = `${userId}|${type}`;
    const recent = (this.sends.get(key) ?? []).filter((at) => at > nowMs - limit.windowMs);
    if (recent.length < limit.max) {
      recent.push(nowMs);
      this.sends.set(key, recent);
      return { granted: true };
    }
    this.sends.set(key, recent);
    return { granted: false, retryAtMs: Math.min(...recent) + limit.windowMs };
  }
}

/** `{u:U}:fatigue:<type>`: zset of sends scored by time, expiring with the window. */
const ACQUIRE = new LuaScript(
  'notification.fatigue.acquire',
  `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, ''}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, string.format('%.0f', tonumber(oldest[2]) + window)}
`,
);

export class RedisFatigueStore implements FatigueStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
  ) {}

  async acquire(
    userId: string,
    type: number,
    nowMs: number,
    limit: { readonly max: number; readonly windowMs: number },
  ): Promise<FatigueDecision> {
    const key = `${this.keys.user(userId)}:fatigue:${type}`;
    const [granted, retryAt] = (await ACQUIRE.run(
      this.redis,
      [key],
      [nowMs, limit.windowMs, limit.max, `${nowMs}:${randomUUID()}`],
    )) as [number, string];
    return granted === 1 ? { granted: true } : { granted: false, retryAtMs: Number(retryAt) };
  }
}
