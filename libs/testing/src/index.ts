import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { startGrpcServer, type RunningServer, type ServiceBinding } from '@feedmesh/service-kit';

/**
 * Redis for tests: REDIS_URL, or database 15 of the local Redis. Benchmarks and the playground
 * keep their worlds in database 0 (millions of keys, for hours); SCAN walks its whole database,
 * so a test's cleanup there would walk them all. In a database of their own it walks test keys.
 */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';
}

/** A key prefix no other test run uses, so suites can share one Redis. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}`;
}

/** Connects to the test Redis; `cleanup()` deletes every key under the prefix and quits. */
export function testRedis(prefix: string): Redis & { cleanup(): Promise<void> } {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  return Object.assign(redis, {
    async cleanup() {
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  });
}

/**
 * Deletes every key containing `prefix`. SCAN walks the whole keyspace whatever MATCH says, so
 * a large COUNT keeps the round trips few when the shared Redis holds millions of other keys.
 */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 50_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails with `what`
 * after `timeoutMs`. For conditions that become true eventually (a consumer caught up).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

export { startRedisCluster, type LocalRedisCluster } from './redis-cluster.js';

/**
 * Runs a service's `node dist/main.js` embedded (REDIS_URL removed, so it runs in memory, on a
 * free port, silent) with `env` added, and resolves with its exit code and stderr: for tests
 * of what a process does at start, such as refusing a configuration in one line. A process
 * still running after 20 s is killed (code null), so a start that hangs fails the test rather
 * than outliving it.
 */
export async function runMainProcess(
  mainPath: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const { REDIS_URL: _unset, ...inherited } = process.env;
  const child = spawn(process.execPath, [mainPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env: {
      ...inherited,
      GRPC_LISTEN: '127.0.0.1:0',
      LOG_LEVEL: 'silent',
      OTEL_SDK_DISABLED: 'true',
      ...env,
    },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

/**
 * A silent gRPC server on a free port of 127.0.0.1 serving `services`: what a test's fake
 * peer (a canned gateway or feature store, an echo) is served by. Calls get 10 s, and
 * `shutdown` drains for 100 ms.
 */
export function startTestGrpcServer(
  name: string,
  services: readonly ServiceBinding[],
): Promise<RunningServer> {
  return startGrpcServer({
    name,
    listen: '127.0.0.1:0',
    maxMessageBytes: 16 * 1024 * 1024,
    unaryTimeoutMs: 10_000,
    drainTimeoutMs: 100,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    services,
  });
}
