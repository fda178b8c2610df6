import type { RedisClient } from '@feedmesh/service-kit';
import { blockRank, isBlockRank, type BlockSettings, type BlockStore } from './block-store.js';
import { redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * `{u:U}:blocks`: a ZSET blog -> blockRank of its latest Block or Unblock. `ZADD GT` keeps the
 * later one whatever the order of arrival; the oldest beyond `perUser` are trimmed. No time to
 * live, like preferences: a block the user chose must not lapse while they are away.
 */
export class RedisBlockStore implements BlockStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: BlockSettings,
  ) {}

  async record(userId: string, blogId: string, blocked: boolean, atMs: number): Promise<void> {
    const key = this.key(userId);
    await redisCall('MULTI ZADD GT', () =>
      this.redis
        .multi()
        .zadd(key, 'GT', blockRank(blocked, atMs), blogId)
        .zremrangebyrank(key, 0, -(this.settings.perUser + 1))
        .exec(),
    );
  }

  async blocked(userId: string): Promise<ReadonlySet<string>> {
    const key = this.key(userId);
    const flat = await redisCall('ZRANGE', () => this.redis.zrange(key, 0, -1, 'WITHSCORES'));
    const blocked = new Set<string>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (isBlockRank(Number(flat[i + 1]))) blocked.add(flat[i] ?? '');
    }
    return blocked;
  }

  private key(userId: string): string {
    return `${this.keys.user(userId)}:blocks`;
  }
}
