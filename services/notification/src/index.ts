import { notificationv1 } from '@feedmesh/contracts';
import {
  env,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import type { Consumer } from '@feedmesh/events';
import { registerObservableGauge, runAsService } from '@feedmesh/telemetry';
import type { z } from 'zod';
import { ActivityTrigger } from './activity.trigger.js';
import { DeduplicationPolicy } from './deduplication.policy.js';
import { DeletedPostPolicy } from './deleted-post.policy.js';
import { DeliveryPipeline } from './delivery-pipeline.js';
import { DigestFlusher } from './digest-flusher.js';
import { FatiguePolicy } from './fatigue.policy.js';
import { InboxDelivery } from './inbox-delivery.js';
import { createNotificationMetrics } from './metrics.js';
import { NotificationEventHandler } from './notification-events.js';
import type { NotificationPolicy } from './notification-policy.js';
import { notificationService } from './notification-service.js';
import { createNotificationStores, type NotificationStores } from './notification-stores.js';
import { NotificationRenderer } from './notification-text.js';
import { PreferencesPolicy } from './preferences.policy.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const notificationConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /**
   * Activity of one kind on one post (or follows of one blog) within this long merges into one
   * notification; 0 sends each at once, ms.
   */
  NOTIFICATION_DIGEST_WINDOW_MS: env.int(60_000, 0, DAY_MS),
  /** How often the flusher looks for due digests, ms. */
  NOTIFICATION_FLUSH_INTERVAL_MS: env.int(250, 10, MINUTE_MS),
  /** A digest claimed by a replica that died is flushed by another after this, ms. */
  NOTIFICATION_FLUSH_LEASE_MS: env.int(30_000, 1_000, 10 * MINUTE_MS),
  /** Pending digests are spread over this many Redis slots. Fixed for a deployment. */
  NOTIFICATION_DIGEST_SHARDS: env.int(16, 1, 1024),
  /** Notifications kept per user. */
  NOTIFICATION_INBOX_CAP: env.int(500, 1, 10_000),
  /** An inbox with no delivery for this long is deleted, ms. */
  NOTIFICATION_INBOX_TTL_MS: env.int(90 * DAY_MS, HOUR_MS, 365 * DAY_MS),
  /** ACTIVITY notifications per user per fatigue window; more wait for a free slot. */
  NOTIFICATION_ACTIVITY_MAX_PER_WINDOW: env.int(30, 1, 10_000),
  NOTIFICATION_ACTIVITY_FATIGUE_WINDOW_MS: env.int(HOUR_MS, 1_000, 7 * DAY_MS),
  /** Activity older than this when consumed is not notified (a replay, a long backlog), ms. */
  NOTIFICATION_MAX_ACTIVITY_AGE_MS: env.int(6 * HOUR_MS, 1_000, 30 * DAY_MS),
  /** Activity on a post or blog not known yet waits this long for it, ms. */
  NOTIFICATION_PARK_TTL_MS: env.int(10 * MINUTE_MS, 1_000, DAY_MS),
  /** Posts and blogs are forgotten this long after they were last seen, ms. */
  NOTIFICATION_DIRECTORY_TTL_MS: env.int(180 * DAY_MS, HOUR_MS, 3650 * DAY_MS),
};

export type NotificationConfig = Readonly<z.infer<z.ZodObject<typeof notificationConfigShape>>>;

export interface NotificationOptions {
  readonly config: NotificationConfig;
  /** redis (undefined when embedded), eventLog, prefix, consumerName. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** ms since epoch; tests pass a fake. */
  readonly clock?: () => number;
}

/** A delivered key stays a duplicate far longer than any flush retry takes. */
const DELIVERY_MEMORY_MS = 2 * DAY_MS;
/** Events parked on one post or blog. */
const PARK_CAP = 1_000;
/** Digests claimed per round trip. */
const FLUSH_BATCH = 50;

/**
 * The notification service: consumes the log as group `notification`, digests activity on
 * users' posts and blogs, passes each digest through the policies and delivers it to the
 * inbox and live subscribers. Serves NotificationService.
 */
export async function startNotification(options: NotificationOptions): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  const core = assembleNotification(options);
  runAsService('notification', () => core.flusher.start());
  const stopGauges = [
    registerObservableGauge(
      'feedmesh.notification.subscribers',
      { description: 'Open Subscribe streams in this process', unit: '{stream}' },
      () => [{ value: core.stores.live.listenerCount() }],
    ),
    registerObservableGauge(
      'feedmesh.notification.digests_pending',
      { description: 'Digests waiting to be flushed, all replicas', unit: '{digest}' },
      async () => [{ value: await core.stores.digests.pendingCount() }],
    ),
    registerObservableGauge(
      'messaging.consumer.lag',
      { unit: '{message}', description: 'Events of the log not yet applied by the group' },
      async () => {
        const { undelivered, pending } = await runtime.eventLog.lag(NOTIFICATION_GROUP);
        return [
          {
            value: undelivered + pending,
            attributes: { 'messaging.consumer.group.name': NOTIFICATION_GROUP },
          },
        ];
      },
    ),
  ];
  let consumer: Consumer | undefined;
  const stop = async (): Promise<void> => {
    for (const stopGauge of stopGauges) stopGauge();
    await consumer?.stop();
    await core.flusher.stop();
    await core.stores.live.close();
  };
  try {
    consumer = await runtime.eventLog.consume({
      group: NOTIFICATION_GROUP,
      consumer: runtime.consumerName,
      handler: (event) => runAsService('notification', () => core.handler.handle(event)),
    });
    return await startGrpcServer({
      name: 'notification',
      listen: config.GRPC_LISTEN,
      maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
      unaryTimeoutMs: config.GRPC_UNARY_TIMEOUT_MS,
      drainTimeoutMs: config.GRPC_DRAIN_TIMEOUT_MS,
      services: [notificationService(core.stores)],
      logger,
      onShutdown: stop,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

export const NOTIFICATION_GROUP = 'notification';

/** The service's parts, wired but not running: startNotification runs them. */
export interface NotificationCore {
  readonly stores: NotificationStores;
  readonly handler: NotificationEventHandler;
  readonly pipeline: DeliveryPipeline;
  readonly flusher: DigestFlusher;
}

/**
 *   trigger (ActivityTrigger) -> digest (DigestStore, DigestFlusher)
 *     -> policies (preferences, deleted post, deduplication, fatigue) -> words -> delivery
 */
export function assembleNotification(options: NotificationOptions): NotificationCore {
  const { config, runtime, logger } = options;
  const clock = options.clock ?? Date.now;
  const metrics = createNotificationMetrics();
  const stores = createNotificationStores(
    runtime,
    {
      inboxCap: config.NOTIFICATION_INBOX_CAP,
      inboxTtlMs: config.NOTIFICATION_INBOX_TTL_MS,
      deliveryMemoryMs: DELIVERY_MEMORY_MS,
      digestWindowMs: config.NOTIFICATION_DIGEST_WINDOW_MS,
      // Outlasts the age limit, so a redelivered event is remembered or too old to notify.
      eventMemoryMs: config.NOTIFICATION_MAX_ACTIVITY_AGE_MS + HOUR_MS,
      digestShards: config.NOTIFICATION_DIGEST_SHARDS,
      directoryTtlMs: config.NOTIFICATION_DIRECTORY_TTL_MS,
      parkTtlMs: config.NOTIFICATION_PARK_TTL_MS,
      parkCap: PARK_CAP,
    },
    logger,
  );

  // Cheapest first; fatigue last because passing it spends a slot. The next policies (quiet
  // hours, daily budget, open probability) go before fatigue.
  const policies: NotificationPolicy[] = [
    new PreferencesPolicy(stores.preferences),
    new DeletedPostPolicy(stores.directory),
    new DeduplicationPolicy(stores.inbox),
    new FatiguePolicy(
      stores.fatigue,
      new Map([
        [
          notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
          {
            max: config.NOTIFICATION_ACTIVITY_MAX_PER_WINDOW,
            windowMs: config.NOTIFICATION_ACTIVITY_FATIGUE_WINDOW_MS,
          },
        ],
      ]),
    ),
  ];
  const pipeline = new DeliveryPipeline(
    policies,
    new NotificationRenderer(stores.directory),
    new InboxDelivery(stores.inbox, stores.live, runtime.eventLog, metrics, logger),
    metrics,
  );
  const flusher = new DigestFlusher(stores.digests, pipeline, clock, logger, {
    intervalMs: config.NOTIFICATION_FLUSH_INTERVAL_MS,
    batchSize: FLUSH_BATCH,
    leaseMs: config.NOTIFICATION_FLUSH_LEASE_MS,
  });
  const undigested = config.NOTIFICATION_DIGEST_WINDOW_MS === 0;
  const handler = new NotificationEventHandler(
    stores.directory,
    new ActivityTrigger(
      stores.directory,
      { maxAgeMs: config.NOTIFICATION_MAX_ACTIVITY_AGE_MS },
      clock,
    ),
    stores.digests,
    // Without a window the digest is due at once: flush now rather than at the next tick.
    () => (undigested ? flusher.kick() : undefined),
    metrics,
    clock,
  );
  return { stores, handler, pipeline, flusher };
}

export type { RunningServer } from '@feedmesh/service-kit';
export type { NotificationStores } from './notification-stores.js';
