import { createRuntime, loadConfig, type Logger, type Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import {
  assembleNotification,
  notificationConfigShape,
  type NotificationConfig,
  type NotificationCore,
} from '../index.js';
import { blogCreated, FakeClock, postCreated } from './events.js';
import type { eventsv1 } from '@feedmesh/contracts';

export const silentLogger: Logger = createLogger('notification-test', { level: 'silent' });

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
    ...(kind === 'redis' ? { REDIS_URL: testRedisUrl() } : {}),
    ...overrides,
  });
}

/** A runtime (and its key prefix) of the given kind; `dispose` closes it and deletes its keys. */
export function testRuntime(
  kind: StoreKind,
  overrides: Record<string, string> = {},
  prefix = uniquePrefix('notification'),
): { runtime: Runtime; config: NotificationConfig; prefix: string; dispose(): Promise<void> } {
  const config = testConfig(kind, prefix, overrides);
  const runtime = createRuntime(config, silentLogger);
  return {
    runtime,
    config,
    prefix,
    async dispose() {
      await runtime.close();
      if (kind === 'redis') await testRedis(prefix).cleanup();
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
  dispose(): Promise<void>;
}

export function openCore(kind: StoreKind, overrides: Record<string, string> = {}): CoreHarness {
  const clock = new FakeClock();
  const { runtime, config, dispose } = testRuntime(kind, overrides);
  const core = assembleNotification({ config, runtime, logger: silentLogger, clock: clock.now });
  return {
    core,
    clock,
    runtime,
    async apply(...events) {
      for (const event of events) await core.handler.handle(event);
    },
    async dispose() {
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
