import { UnavailableError } from '@feedmesh/errors';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { connectRedis } from './runtime.js';

export interface ReachableRedisOptions {
  /** Where the URL came from, named in the error: `--redis`, `REDIS_URL`. */
  readonly source?: string;
  /** Gets the connection errors that come after the first answer, as connectRedis's do. */
  readonly logger?: Logger;
}

/**
 * connectRedis (one node, not a cluster) for a command about to rely on it: resolves once
 * Redis answers PING. When it cannot connect, it fails at the first attempt with one
 * UnavailableError naming the URL and its source, and closes the client. Otherwise ioredis
 * retries in the background, each command fails later with "Reached the max retries per
 * request limit", and a client without an 'error' listener prints every attempt.
 */
export async function connectReachableRedis(
  url: string,
  options: ReachableRedisOptions = {},
): Promise<Redis> {
  // Without `cluster`, connectRedis makes a plain Redis.
  const client = connectRedis(url, { logger: options.logger }) as Redis;
  let onError: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = reject;
  });
  client.once('error', onError);
  try {
    await Promise.race([client.ping(), failed]);
    return client;
  } catch (error) {
    client.disconnect();
    const where = `${withoutPassword(url)}${options.source === undefined ? '' : ` (${options.source})`}`;
    throw new UnavailableError('redis', `cannot reach ${where}: ${reasonOf(error)}`, {
      cause: error,
    });
  } finally {
    client.off('error', onError);
  }
}

/** The URL as it may be printed: a password in it is masked. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A socket error's code (ECONNREFUSED) says it all; a reply (WRONGPASS ...) needs its words. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : error.message;
}
