import { createHash } from 'node:crypto';
import { UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import { traceRedis } from '@feedmesh/telemetry';

/**
 * One Redis round trip, traced as a client span; a failure becomes an UnavailableError, which
 * callers of the service see as UNAVAILABLE (retryable) rather than INTERNAL.
 */
export async function redisCall<T>(
  operation: string,
  fn: () => Promise<T>,
  options: { traced?: boolean } = {},
): Promise<T> {
  try {
    return await (options.traced === false ? fn() : traceRedis(operation, fn));
  } catch (error) {
    throw new UnavailableError('redis', `${operation} failed: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * A Lua script run by its SHA1 (EVALSHA), loaded with EVAL the first time a node has not seen
 * it. On a Cluster the call goes to the slot of its first key, and every key it touches must
 * share that key's hash tag.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** `traced: false` for calls on a timer, which would fill traces with empty polls. */
  run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
    options: { traced?: boolean } = {},
  ): Promise<unknown> {
    const call = async (): Promise<unknown> => {
      try {
        return await client.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!messageOf(error).startsWith('NOSCRIPT')) throw error;
        return client.eval(this.source, keys.length, ...keys, ...args);
      }
    };
    return redisCall(this.name, call, options);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
