import { hostname } from 'node:os';
import { createEventLog, isValidName, NAME_RULE, type EventLog } from '@feedmesh/events';
import { LOG_LEVELS, logLevelOf } from '@feedmesh/telemetry';
import { Cluster, Redis } from 'ioredis';
// The error a single Redis client fails a command with once it gave up (ioredis pinned).
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { z } from 'zod';
import { env } from './config.js';
import { observeConsumers } from './consumer-metrics.js';
import type { Logger } from './logger.js';

/**
 * Room the default consumer name leaves under the event log's 64 characters, for the suffix a
 * service adds to name a second consumer of its own (feature-store's `.2` ... `.16`).
 */
const DEFAULT_NAME_MAX_LENGTH = 60;

/**
 * `<host>-<pid>`, made a valid consumer name: characters the event log refuses become `-`, and
 * the host is cut so that the whole stays within 60 characters (see DEFAULT_NAME_MAX_LENGTH).
 */
export function defaultConsumerName(host: string = hostname(), pid: number = process.pid): string {
  const suffix = `-${pid}`;
  const safeHost = host.replace(/[^A-Za-z0-9_.:-]/g, '-') || 'host';
  return `${safeHost.slice(0, DEFAULT_NAME_MAX_LENGTH - suffix.length)}${suffix}`;
}

/**
 * What every stateful service reads from the environment besides its server settings.
 * Without REDIS_URL a service runs embedded: in-memory event log and stores (the playground).
 */
export const runtimeConfigShape = {
  /** Redis for the event log and the service's state; unset means in-memory (embedded). */
  REDIS_URL: env.redisUrl(),
  /** `true` when REDIS_URL is one node of a Redis Cluster. */
  REDIS_CLUSTER: env.bool(false),
  /** Prefix of every key this deployment writes; services add their own segment. */
  REDIS_PREFIX: env.string('feedmesh'),
  /** Partitions of the event log; fixed for a deployment. */
  EVENT_PARTITIONS: env.int(8, 1, 1024),
  /**
   * This replica's consumer name, unique in its group and stable across restarts; checked here
   * against the event log's rule for names, so a bad one stops the process at start.
   */
  CONSUMER_NAME: z.string().refine(isValidName, NAME_RULE).default(defaultConsumerName()),
  /**
   * How long an entry left pending by a consumer that is gone (a replaced pod, whose name is
   * new) waits before another consumer of its group takes it over, ms. A consumer restarted
   * under its own name takes its entries back at once whatever this says.
   */
  EVENT_LOG_CLAIM_IDLE_MS: env.int(60_000, 1_000, 3_600_000),
  /**
   * How long a consumer may go without a heartbeat (a crashed or killed process) before the
   * other replicas of its group take over its pending entries and remove it from the group,
   * ms. Beats come from a timer, so a slow handler does not go silent.
   */
  EVENT_LOG_CONSUMER_TIMEOUT_MS: env.int(15_000, 1_000, 600_000),
  /**
   * The level of the JSON log lines; createLogger reads it (unset: `info`), before the config
   * is loaded, and does not refuse a bad one: this does, naming it on one line.
   */
  LOG_LEVEL: z
    .string()
    .refine((value) => logLevelOf(value) !== undefined, `expected one of ${LOG_LEVELS.join(', ')}`)
    .optional(),
};

export interface RuntimeConfig {
  readonly REDIS_URL?: string | undefined;
  readonly REDIS_CLUSTER: boolean;
  readonly REDIS_PREFIX: string;
  readonly EVENT_PARTITIONS: number;
  readonly CONSUMER_NAME: string;
  /** Default 60,000 where a caller builds the config by hand. */
  readonly EVENT_LOG_CLAIM_IDLE_MS?: number;
  /** Default 15,000 where a caller builds the config by hand. */
  readonly EVENT_LOG_CONSUMER_TIMEOUT_MS?: number;
}

export type RedisClient = Redis | Cluster;

/** A Redis (or Redis Cluster) client with the mesh's defaults: fail fast while disconnected. */
export function connectRedis(
  url: string,
  options: { cluster?: boolean; logger?: Logger } = {},
): RedisClient {
  const common = {
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    enableOfflineQueue: true,
    lazyConnect: false,
  };
  const client: RedisClient = options.cluster
    ? new Cluster([url], {
        redisOptions: { ...common, ...nodeOptionsOf(url) },
        scaleReads: 'master',
        // A Cluster has no maxRetriesPerRequest of its own: while no node answers it queues
        // every command until one does, so handlers and consumers hung for as long as the
        // cluster was down. Its queue fails as a single Redis's does, after as many attempts.
        clusterRetryStrategy: (attempts) => {
          if (attempts > MAX_RETRIES_PER_REQUEST) failQueuedCommands(client as Cluster);
          return Math.min(100 + attempts * 2, 2000); // ioredis's default
        },
      })
    : new Redis(url, common);
  client.on('error', (error: Error) =>
    options.logger?.warn({ err: error }, 'redis connection error'),
  );
  return client;
}

const MAX_RETRIES_PER_REQUEST = 2;

/** Fails the commands a cluster holds while it reconnects (ioredis's own private flushQueue). */
function failQueuedCommands(cluster: Cluster): void {
  const queue = cluster as unknown as { flushQueue?: (error: Error) => void };
  // Its declared base class (redis-errors) is untyped, though it is an Error.
  queue.flushQueue?.(new MaxRetriesPerRequestError(MAX_RETRIES_PER_REQUEST) as unknown as Error);
}

/**
 * The user, password and TLS of a Redis URL, for every node of a cluster: ioredis gives the
 * credentials to the node the URL names only, so the masters it then finds through CLUSTER
 * SLOTS (by their own addresses) answered NOAUTH, and a Cluster ignores `rediss://`, so it
 * spoke plaintext to TLS ports. Read as ioredis reads them: `user:pw@`, else `?username=`
 * and `?password=`.
 */
function nodeOptionsOf(url: string): { username?: string; password?: string; tls?: object } {
  const parsed = new URL(url);
  const hasAuth = parsed.username !== '' || parsed.password !== '';
  const username = hasAuth
    ? decodeURIComponent(parsed.username)
    : parsed.searchParams.get('username');
  const password = hasAuth
    ? decodeURIComponent(parsed.password)
    : parsed.searchParams.get('password');
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * The shared dependencies of a service process: its Redis client (if any) and the event log.
 * The playground builds one of these for all services in one process instead.
 */
export interface Runtime {
  readonly redis: RedisClient | undefined;
  readonly eventLog: EventLog;
  readonly prefix: string;
  readonly consumerName: string;
  close(): Promise<void>;
}

/** `options.redis`: a client already connected to REDIS_URL (see runServiceMain), used as is. */
export function createRuntime(
  config: RuntimeConfig,
  logger: Logger,
  options: { readonly redis?: RedisClient | undefined } = {},
): Runtime {
  const redis =
    options.redis ??
    (config.REDIS_URL
      ? connectRedis(config.REDIS_URL, { cluster: config.REDIS_CLUSTER, logger })
      : undefined);
  const eventLog = redis
    ? createEventLog({
        kind: 'redis',
        client: redis,
        prefix: `${config.REDIS_PREFIX}:events`,
        partitions: config.EVENT_PARTITIONS,
        claimIdleMs: config.EVENT_LOG_CLAIM_IDLE_MS,
        consumerTimeoutMs: config.EVENT_LOG_CONSUMER_TIMEOUT_MS,
        logger,
      })
    : createEventLog({
        kind: 'memory',
        partitions: config.EVENT_PARTITIONS,
        claimIdleMs: config.EVENT_LOG_CLAIM_IDLE_MS,
        consumerTimeoutMs: config.EVENT_LOG_CONSUMER_TIMEOUT_MS,
        logger,
      });
  const stopObserving = observeConsumers(eventLog);
  return {
    redis,
    eventLog,
    prefix: config.REDIS_PREFIX,
    consumerName: config.CONSUMER_NAME,
    async close() {
      stopObserving();
      await eventLog.close();
      await redis?.quit().catch(() => undefined);
    },
  };
}
