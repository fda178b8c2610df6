import { UnavailableError } from '@feedmesh/errors';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { connectRedis } from './runtime.js';

export interface ReachableRedisOptions {
  /** Where the URL came from, named in the error: `--redis`, `REDIS_URL`. */
  readonly source?: string;
  /** Gets the connection errors that come after the first answer, as connectRedis's do. */
  readonly logger?: Logger;
  /** `url` is one node of a Redis Cluster (REDIS_CLUSTER): it must answer as a cluster. */
  readonly cluster?: boolean;
}

/**
 * connectRedis for a command about to rely on it: resolves once Redis answers PING (for a
 * cluster, once the seed node has given its slots and their master answers). When it cannot
 * connect, it fails at the first attempt with one UnavailableError naming the URL and its
 * source, and closes the client. Otherwise ioredis retries in the background, each command
 * fails later with "Reached the max retries per request limit", and a client without an
 * 'error' listener prints every attempt.
 */
export async function connectReachableRedis(
  url: string,
  options: ReachableRedisOptions & { cluster: true },
): Promise<Cluster>;
export async function connectReachableRedis(
  url: string,
  options?: ReachableRedisOptions & { cluster?: false },
): Promise<Redis>;
export async function connectReachableRedis(
  url: string,
  options?: ReachableRedisOptions,
): Promise<Redis | Cluster>;
export async function connectReachableRedis(
  url: string,
  options: ReachableRedisOptions = {},
): Promise<Redis | Cluster> {
  const client = connectRedis(url, { logger: options.logger, cluster: options.cluster });
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
    const where =
      withoutPassword(url) +
      (options.cluster ? ' as a Redis Cluster' : '') +
      (options.source === undefined ? '' : ` (${options.source})`);
    // A cluster client says only "Connection is closed." of a node it could not reach: ask
    // the node alone, whose socket error names the cause (ECONNREFUSED, ENOTFOUND).
    const reason =
      options.cluster === true
        ? await connectReachableRedis(url).then(
            async (node) => {
              await node.quit().catch(() => undefined);
              return reasonOf(error);
            },
            (nodeError: UnavailableError) => reasonOf(nodeError.cause),
          )
        : reasonOf(error);
    throw new UnavailableError('redis', `cannot reach ${where}: ${reason}`, { cause: error });
  } finally {
    client.off('error', onError);
  }
}

/** The URL as it may be printed: a password in it (`:pw@`, or `?password=`) is masked. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '' && !parsed.searchParams.has('password')) return url;
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * A socket error's code (ECONNREFUSED) says it all; a reply (WRONGPASS ...) needs its words.
 * A cluster client wraps the seed node's failure ("Failed to refresh slots cache") in
 * `lastNodeError`, which says why: the socket's, or a node without cluster support.
 */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nodeError = (error as { lastNodeError?: unknown }).lastNodeError;
  if (nodeError instanceof Error) return reasonOf(nodeError);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : error.message;
}
