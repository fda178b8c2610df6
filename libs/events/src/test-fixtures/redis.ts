import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** As `testRedisUrl` in @feedmesh/testing: database 15, apart from the benchmarks' worlds. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';

/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  return `test:events:${randomUUID()}`;
}

/** Deletes every key a log with this prefix wrote: they all start with `{prefix:`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
