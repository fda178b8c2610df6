import type { RedisClient } from '@feedmesh/service-kit';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/** What a user did with the notifications of one type they were sent. */
export interface OpenStats {
  readonly sent: number;
  readonly opened: number;
}

/**
 * Per user and type, notifications sent and opened: the open-probability heuristic's evidence.
 * Counts halve once `sent` passes HALVE_AT, so recent behaviour outweighs last year's and the
 * numbers stay small. An open counts once per notification however often it is reported.
 */
export interface OpenStatsStore {
  recordSend(userId: string, type: number): Promise<void>;
  /** False when this notification's open was already counted. */
  recordOpen(userId: string, notificationId: string, type: number): Promise<boolean>;
  stats(userId: string, type: number): Promise<OpenStats>;
}

/** Sends of one type after which a user's counts for it are halved. */
export const HALVE_AT = 200;
/** Opened notification ids remembered per user, to count each open once. */
const OPENED_IDS_KEPT = 1_000;
const STATS_TTL_MS = 180 * 24 * 60 * 60 * 1000;

export class InMemoryOpenStatsStore implements OpenStatsStore {
  private readonly counts = new Map<string, { sent: number; opened: number }>();
  private readonly openedIds = new Map<string, Set<string>>();

  async recordSend(userId: string, type: number): Promise<void> {
    const counts = this.countsOf(userId, type);
    counts.sent += 1;
    if (counts.sent > HALVE_AT) {
      counts.sent = Math.floor(counts.sent / 2);
      counts.opened = Math.floor(counts.opened / 2);
    }
  }

  async recordOpen(userId: string, notificationId: string, type: number): Promise<boolean> {
    let ids = this.openedIds.get(userId);
    if (ids === undefined) {
      ids = new Set();
      this.openedIds.set(userId, ids);
    }
    if (ids.has(notificationId)) return false;
    ids.add(notificationId);
    if (ids.size > OPENED_IDS_KEPT) ids.delete(ids.values().next().value ?? '');
    const counts = this.countsOf(userId, type);
    counts.opened += 1;
    return true;
  }

  async stats(userId: string, type: number): Promise<OpenStats> {
    const counts = this.counts.get(`${userId}|${type}`);
    return counts === undefined ? { sent: 0, opened: 0 } : { ...counts };
  }

  private countsOf(userId: string, type: number): { sent: number; opened: number } {
    const key = `${userId}|${type}`;
    let counts = this.counts.get(key);
    if (counts === undefined) {
      counts = { sent: 0, opened: 0 };
      this.counts.set(key, counts);
    }
    return counts;
  }
}

/** KEYS[1] `{u:U}:opens` hash `sent:<type>`, `opened:<type>`. ARGV: type, halve-at, ttl. */
const RECORD_SEND = new LuaScript(
  'notification.opens.send',
  `
local sent = redis.call('HINCRBY', KEYS[1], 'sent:' .. ARGV[1], 1)
if sent > tonumber(ARGV[2]) then
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened:' .. ARGV[1]) or '0')
  redis.call('HSET', KEYS[1], 'sent:' .. ARGV[1], math.floor(sent / 2),
    'opened:' .. ARGV[1], math.floor(opened / 2))
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
);

/**
 * KEYS[1] the stats hash, KEYS[2] `{u:U}:opened` zset of counted ids (by time, capped).
 * ARGV: type, notification id, now, kept ids, ttl.
 */
const RECORD_OPEN = new LuaScript(
  'notification.opens.open',
  `
if redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2]) == 0 then return 0 end
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then redis.call('ZPOPMIN', KEYS[2], excess) end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('HINCRBY', KEYS[1], 'opened:' .. ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`,
);

export class RedisOpenStatsStore implements OpenStatsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
  ) {}

  async recordSend(userId: string, type: number): Promise<void> {
    await RECORD_SEND.run(this.redis, [this.statsKey(userId)], [type, HALVE_AT, STATS_TTL_MS]);
  }

  async recordOpen(userId: string, notificationId: string, type: number): Promise<boolean> {
    const reply = await RECORD_OPEN.run(
      this.redis,
      [this.statsKey(userId), `${this.keys.user(userId)}:opened`],
      [type, notificationId, Date.now(), OPENED_IDS_KEPT, STATS_TTL_MS],
    );
    return reply === 1;
  }

  async stats(userId: string, type: number): Promise<OpenStats> {
    const key = this.statsKey(userId);
    const [sent, opened] = await redisCall('HMGET', () =>
      this.redis.hmget(key, `sent:${type}`, `opened:${type}`),
    );
    return { sent: Number(sent ?? 0), opened: Number(opened ?? 0) };
  }

  private statsKey(userId: string): string {
    return `${this.keys.user(userId)}:opens`;
  }
}
