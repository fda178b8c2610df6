import { createRuntime, loadConfig, type Logger, type Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedisUrl } from '@feedmesh/testing';
import type { Consumer } from '@feedmesh/events';
import {
  assembleNotification,
  notificationConfigShape,
  notificationConsumeOptions,
  type NotificationConfig,
  type NotificationCore,
  type NotificationOptions,
} from '../index.js';
import { blogCreated, FakeClock, postCreated } from './events.js';
import type { CatchUp } from '../log-catch-up.js';
import { sharedTestRedis } from './shared-redis.js';
import type { eventsv1 } from '@feedmesh/contracts';

export const silentLogger: Logger = createLogger('notification-test', { level: 'silent' });

/**
 * For a core whose events a test hands to the handler itself (no consumer reads the log): it
 * has always handled everything there is, as far as the trending and reactivation jobs can tell.
 */
export const HANDLED_BY_HAND: CatchUp = { caughtUp: async () => true };

/**
 * The service's consumer of the log, held before the batch that holds `eventId` until
 * `release()`: a group replaying the log that has not yet read that far.
 */
export async function consumeHeldBefore(
  core: NotificationCore,
  deps: { readonly config: NotificationConfig; readonly runtime: Runtime },
  eventId: string,
): Promise<{ consumer: Consumer; release: () => void }> {
  let release = (): void => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const options = notificationConsumeOptions(core, deps);
  const handle = options.batchHandler!;
  const consumer = await deps.runtime.eventLog.consume({
    ...options,
    handler: undefined,
    batchHandler: async (events, deliveries) => {
      if (events.some((event) => event.eventId === eventId)) await released;
      return handle(events, deliveries);
    },
  });
  return { consumer, release };
}

export type StoreKind = 'memory' | 'redis';

export const WINDOW_MS = 60_000;

/** Config as the environment would give it, with a 60 s digest window unless overridden. */
export function testConfig(
  kind: StoreKind,
  prefix: string,
  overrides: Record<string, string> = {},
): NotificationConfig {
  return loadConfig(notificationConfigShape, {
    GRPC_LISTEN: '127.0.0.1:0',
    GRPC_DRAIN_TIMEOUT_MS: '2000',
    REDIS_PREFIX: prefix,
    EVENT_PARTITIONS: '4',
    CONSUMER_NAME: 'test-consumer',
    NOTIFICATION_DIGEST_WINDOW_MS: String(WINDOW_MS),
    NOTIFICATION_FLUSH_INTERVAL_MS: '20',
    NOTIFICATION_DIGEST_SHARDS: '4',
    // The periodic jobs run when a test runs them; no mesh is there to call unless it starts one.
    NOTIFICATION_TRENDING_INTERVAL_MS: '0',
    NOTIFICATION_REACTIVATION_INTERVAL_MS: '0',
    ...(kind === 'redis' ? { REDIS_URL: testRedisUrl() } : {}),
    ...overrides,
  });
}

const nextRedis = sharedTestRedis('notification');

/**
 * A runtime (and its key prefix) of the given kind; `dispose` closes it. Keys under the default
 * prefixes are deleted once the run's tests are done; a test that passes its own prefix
 * deletes its keys itself.
 */
export function testRuntime(
  kind: StoreKind,
  overrides: Record<string, string> = {},
  prefix = kind === 'redis' ? nextRedis().prefix : 'notification-memory',
): { runtime: Runtime; config: NotificationConfig; prefix: string; dispose(): Promise<void> } {
  const config = testConfig(kind, prefix, overrides);
  const runtime = createRuntime(config, silentLogger);
  return {
    runtime,
    config,
    prefix,
    async dispose() {
      await runtime.close();
    },
  };
}

/** The service's parts on a fake clock, driven by hand: no consumer, no flusher loop. */
export interface CoreHarness {
  readonly core: NotificationCore;
  readonly clock: FakeClock;
  readonly runtime: Runtime;
  /** Hands the events to the handler, in order, as the consumer would. */
  apply(...events: eventsv1.Event[]): Promise<void>;
  /** Hands the events to the handler as one read (handleBatch); throws if any failed. */
  applyBatch(...events: eventsv1.Event[]): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * `extra.prefix` puts the core on a key prefix of the test's choosing: cores opened on one
 * prefix are replicas sharing one Redis (the test deletes their keys). `extra.logger` replaces
 * the silent one (a test reading what the service logs).
 */
export function openCore(
  kind: StoreKind,
  overrides: Record<string, string> = {},
  extra: Partial<Pick<NotificationOptions, 'registry' | 'logger'>> & {
    readonly prefix?: string;
  } = {},
): CoreHarness {
  const clock = new FakeClock();
  const { prefix, ...options } = extra;
  const { runtime, config, dispose } = testRuntime(kind, overrides, prefix);
  const core = assembleNotification({
    config,
    runtime,
    logger: silentLogger,
    clock: clock.now,
    catchUp: HANDLED_BY_HAND,
    ...options,
  });
  return {
    core,
    clock,
    runtime,
    async apply(...events) {
      for (const event of events) await core.handler.handle(event);
    },
    async applyBatch(...events) {
      const failures = await core.handler.handleBatch(events);
      if (failures.length > 0) throw failures[0]?.error;
    },
    async dispose() {
      core.mesh.close();
      await core.openModel.stop();
      await core.stores.live.close();
      await dispose();
    },
  };
}

/**
 * A small world: `owner` has blog `ownerblog` with post `p1`; alice, bob, carol, dave and erin have a
 * blog named after them (their user ids are `u-alice`...).
 */
export const OWNER = 'u-owner';
export const OWNER_BLOG = 'b-owner';
export const POST = 'p1';

export function worldEvents(): eventsv1.Event[] {
  return [
    blogCreated(OWNER_BLOG, OWNER, 'ownerblog'),
    postCreated(POST, OWNER_BLOG),
    blogCreated('b-alice', 'u-alice', 'alice'),
    blogCreated('b-bob', 'u-bob', 'bob'),
    blogCreated('b-carol', 'u-carol', 'carol'),
    blogCreated('b-dave', 'u-dave', 'dave'),
    blogCreated('b-erin', 'u-erin', 'erin'),
  ];
}
