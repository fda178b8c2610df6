import { Cluster, type Redis } from 'ioredis';

/**
 * The keys of one deployment prefix, as every service writes them: `prefix:*`, and the
 * hash-tagged `{prefix:*` of the event log (`{prefix:p0}`, `{prefix:dead:group}`). For tools
 * that clean up after a prefix a user named: a key that merely contains the prefix (another
 * deployment's `x:prefix:y`, or `prefix2:*`) is not under it.
 */
export function keyPatternsUnder(prefix: string): [string, string] {
  const literal = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  return [`${literal}:*`, `{${literal}:*`];
}

/**
 * Deletes every key under the prefix (see `keyPatternsUnder`), on each master of a Cluster;
 * returns how many went.
 */
export async function deleteKeysUnder(redis: Redis | Cluster, prefix: string): Promise<number> {
  if (prefix === '') throw new Error('deleteKeysUnder: an empty prefix would match every key');
  let deleted = 0;
  for (const node of mastersOf(redis)) {
    for (const pattern of keyPatternsUnder(prefix)) {
      let cursor = '0';
      do {
        // SCAN walks the whole keyspace whatever MATCH says: a large COUNT keeps round trips few.
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 50_000);
        cursor = next;
        if (keys.length === 0) continue;
        if (redis instanceof Cluster) {
          // Keys of different slots cannot share a command on a Cluster: one UNLINK each.
          const replies = await Promise.all(keys.map((key) => node.unlink(key)));
          deleted += replies.reduce((sum, n) => sum + n, 0);
        } else {
          deleted += await node.unlink(...keys);
        }
      } while (cursor !== '0');
    }
  }
  return deleted;
}

/** A key under the prefix, or undefined when it holds none. */
export async function firstKeyUnder(
  redis: Redis | Cluster,
  prefix: string,
): Promise<string | undefined> {
  for (const node of mastersOf(redis)) {
    for (const pattern of keyPatternsUnder(prefix)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 50_000);
        if (keys.length > 0) return keys[0];
        cursor = next;
      } while (cursor !== '0');
    }
  }
  return undefined;
}

function mastersOf(redis: Redis | Cluster): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
