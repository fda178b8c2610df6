import { createHash } from 'node:crypto';
import { UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import { traceRedis } from '@feedmesh/telemetry';
import type { ChainableCommander } from 'ioredis';

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

  /**
   * Adds a call to a pipeline, by SHA1. A NOSCRIPT reply means the node has not seen the
   * script yet: `run` the call instead, which loads it.
   */
  addTo(pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]) {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
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

  /**
   * Several calls of the script at once, each settled on its own. On a single Redis they go
   * as one pipeline: one write and one round trip instead of a command written per call,
   * which is most of the client's CPU when a batch makes hundreds. On a Cluster, where a
   * pipeline must stay within one slot, each call goes on its own.
   */
  async runAll(
    client: RedisClient,
    calls: readonly {
      readonly keys: readonly string[];
      readonly args: readonly (string | number)[];
    }[],
  ): Promise<PromiseSettledResult<unknown>[]> {
    if (client.isCluster || calls.length === 1) {
      return Promise.allSettled(calls.map(({ keys, args }) => this.run(client, keys, args)));
    }
    const send = async (): Promise<[Error | null, unknown][]> => {
      const pipeline = client.pipeline();
      for (const { keys, args } of calls) this.addTo(pipeline, keys, args);
      return (await pipeline.exec()) ?? [];
    };
    const replies = await redisCall(this.name, async () => {
      const first = await send();
      if (!first.some(([error]) => error !== null && messageOf(error).startsWith('NOSCRIPT'))) {
        return first;
      }
      await client.script('LOAD', this.source);
      return send();
    });
    return calls.map((_, i) => {
      const [error, result] = replies[i] ?? [new Error('no reply'), undefined];
      return error === null
        ? { status: 'fulfilled', value: result }
        : {
            status: 'rejected',
            reason: new UnavailableError('redis', `${this.name} failed: ${messageOf(error)}`, {
              cause: error,
            }),
          };
    });
  }
}

export function isNoScript(error: unknown): boolean {
  return messageOf(error).startsWith('NOSCRIPT');
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
