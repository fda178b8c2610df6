import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@feedmesh/service-kit';
import type { QuotaClaim, QuotaDecision, QuotaStore } from './quota-store.js';
import { LuaScript } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * `{u:U}:quota:<counter>`: zset of sends scored by time, expiring with its window. All of a
 * user's counters share the user's hash tag, so one script checks and spends them together.
 * ARGV: now, a unique member, then max, window, gap per key.
 */
const ACQUIRE = new LuaScript(
  'notification.quota.acquire',
  `
local now = tonumber(ARGV[1])
local refused, retryAt = 0, now
for i, key in ipairs(KEYS) do
  local max, window, gap = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - math.max(window, gap))
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
if refused > 0 then return {refused - 1, string.format('%.0f', retryAt)} end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, math.max(tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])))
end
return {-1, ''}
`,
);

export class RedisQuotaStore implements QuotaStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
  ) {}

  async acquire(
    userId: string,
    claims: readonly QuotaClaim[],
    nowMs: number,
  ): Promise<QuotaDecision> {
    if (claims.length === 0) return { granted: true };
    const root = this.keys.user(userId);
    const [refused, retryAt] = (await ACQUIRE.run(
      this.redis,
      claims.map((claim) => `${root}:quota:${claim.counter}`),
      [
        nowMs,
        `${nowMs}:${randomUUID()}`,
        ...claims.flatMap((claim) => [claim.max, claim.windowMs, claim.minGapMs]),
      ],
    )) as [number, string];
    if (refused < 0) return { granted: true };
    return { granted: false, refused, retryAtMs: Number(retryAt) };
  }
}
