import { testRedis, uniquePrefix } from '@feedmesh/testing';
import type { Redis } from 'ioredis';

/**
 * Key prefixes for Redis-backed tests that share one connection and one cleanup: each call
 * gives a fresh prefix under one root, and the root's keys are deleted once, when the run's
 * tests are done (a root-level `after`). Deleting by prefix scans the whole keyspace, so one
 * scan per file instead of one per test keeps the suite fast on a busy shared Redis.
 */
export function sharedTestRedis(name: string): () => { redis: Redis; prefix: string } {
  const root = uniquePrefix(name);
  let redis: ReturnType<typeof testRedis> | undefined;
  let count = 0;
  after(async () => {
    await redis?.cleanup();
    redis = undefined;
  });
  return () => {
    redis ??= testRedis(root);
    count += 1;
    return { redis, prefix: `${root}:${count}` };
  };
}
