import type { RedisClient } from '@feedmesh/service-kit';
import type { QuotaClaim, QuotaDecision, QuotaStore } from './quota-store.js';
import { LuaScript } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * `{u:U}:quota:<counter>`: zset of send ids scored by when they were granted, expiring with its
 * window. All of a user's counters share the user's hash tag, so one script checks and spends
 * them together. ARGV: now, the send id, then max, window, gap per key. A counter already
 * holding the send id is not checked, and not spent again.
 */
const ACQUIRE = new LuaScript(
  'notification.quota.acquire',
  `
local now, send = tonumber(ARGV[1]), ARGV[2]
local refused, retryAt = 0, now
for i, key in ipairs(KEYS) do
  local max, window, gap = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - math.max(window, gap))
  if not redis.call('ZSCORE', key, send) then
    local inWindow = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
    local at = now
    if inWindow >= max then
      local nth = redis.call('ZREVRANGE', key, max - 1, max - 1, 'WITHSCORES')
      at = math.max(at, tonumber(nth[2]) + window)
    end
    if gap > 0 then
      local newest = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
      if newest[2] then at = math.max(at, tonumber(newest[2]) + gap) end
    end
    if at > now then
      if refused == 0 then refused = i end
      retryAt = math.max(retryAt, at)
    end
  end
end
if refused > 0 then return {refused - 1, string.format('%.0f', retryAt)} end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'NX', now, send)
  redis.call('PEXPIRE', key, math.max(tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])))
end
return {-1, ''}
`,
);

/** Takes the send id (ARGV[1]) out of every counter: its slots are free again. */
const RELEASE = new LuaScript(
  'notification.quota.release',
  `
for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[1]) end
return 1
`,
);

export class RedisQuotaStore implements QuotaStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
  ) {}

  async acquire(
    userId: string,
    sendId: string,
    claims: readonly QuotaClaim[],
    nowMs: number,
  ): Promise<QuotaDecision> {
    if (claims.length === 0) return { granted: true };
    const [refused, retryAt] = (await ACQUIRE.run(this.redis, this.counterKeys(userId, claims), [
      nowMs,
      sendId,
      ...claims.flatMap((claim) => [claim.max, claim.windowMs, claim.minGapMs]),
    ])) as [number, string];
    if (refused < 0) return { granted: true };
    return { granted: false, refused, retryAtMs: Number(retryAt) };
  }

  async release(userId: string, sendId: string, claims: readonly QuotaClaim[]): Promise<void> {
    if (claims.length === 0) return;
    await RELEASE.run(this.redis, this.counterKeys(userId, claims), [sendId]);
  }

  private counterKeys(userId: string, claims: readonly QuotaClaim[]): string[] {
    const root = this.keys.user(userId);
    return claims.map((claim) => `${root}:quota:${claim.counter}`);
  }
}
