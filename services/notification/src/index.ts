import { ConfigError } from '@feedmesh/errors';
import { modelRegistryFor, type ModelRegistry } from '@feedmesh/models';
import {
  loadTls,
  serverOptionsFrom,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import type { ConsumeOptions, Consumer } from '@feedmesh/events';
import { registerObservableGauge, runAsService, withSpan } from '@feedmesh/telemetry';
import { ActivityTrigger } from './activity.trigger.js';
import { BlockedPolicy } from './blocked.policy.js';
import { DailyBudgetPolicy } from './daily-budget.policy.js';
import { DeduplicationPolicy } from './deduplication.policy.js';
import { DeletedPostPolicy } from './deleted-post.policy.js';
import { DeliveryPipeline } from './delivery-pipeline.js';
import { DigestFlusher } from './digest-flusher.js';
import type { DigestEntry } from './digest-store.js';
import { FatiguePolicy } from './fatigue.policy.js';
import { FreshnessPolicy } from './freshness.policy.js';
import { InboxDelivery } from './inbox-delivery.js';
import { InterestLearner } from './interest-learner.js';
import { GroupCatchUp, type CatchUp } from './log-catch-up.js';
import { connectMesh, type MeshClients } from './mesh-clients.js';
import { createNotificationMetrics } from './metrics.js';
import { NewPostTrigger } from './new-post.trigger.js';
import type { NotificationConfig } from './notification-config.js';
import { NotificationEventHandler } from './notification-events.js';
import type { NotificationPolicy } from './notification-policy.js';
import { notificationService } from './notification-service.js';
import { createNotificationStores, type NotificationStores } from './notification-stores.js';
import { NotificationRenderer } from './notification-text.js';
import { OpenModelSource } from './open-model-source.js';
import { OpenProbabilityPolicy } from './open-probability.policy.js';
import { PeriodicJob } from './periodic-job.js';
import { PreferencesPolicy } from './preferences.policy.js';
import { QuietHoursPolicy } from './quiet-hours.policy.js';
import { ReactivationJob } from './reactivation.job.js';
import { ReactivationPicker } from './reactivation.picker.js';
import { StillLapsedPolicy } from './still-lapsed.policy.js';
import { TrendingJob } from './trending.job.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface NotificationOptions {
  readonly config: NotificationConfig;
  /** redis (undefined when embedded), eventLog, prefix, consumerName. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** ms since epoch; tests pass a fake. */
  readonly clock?: () => number;
  /** Where the open-probability model is read from; the runtime's registry by default. */
  readonly registry?: ModelRegistry;
  /**
   * Tells the trending and reactivation jobs whether group `notification` has handled the log
   * up to now: by default whether it has handled everything up to a mark of the log's end taken
   * when the run starts (`GroupCatchUp`). Tests that hand events to the handler themselves,
   * with no consumer, pass one that always has.
   */
  readonly catchUp?: CatchUp;
}

/** A delivered key stays a duplicate far longer than any flush retry takes. */
const DELIVERY_MEMORY_MS = 2 * DAY_MS;
/** Events parked on one post or blog. */
const PARK_CAP = 1_000;
/** Blogs (blocked or unblocked) remembered per user. */
const BLOCKS_PER_USER = 1_000;
/** Digests claimed per round trip. */
const FLUSH_BATCH = 50;
/** Strongest blogs and tags kept per user. */
const INTERESTS_KEPT = 50;
/** Preferences read by policies are reused this long, ms. */
const PREFERENCES_CACHE_MS = 1_000;
const LAPSE_CHECK_BATCH = 20;
/** The longest a trending or reactivation run waits for the group to catch up with the log, ms. */
const CATCH_UP_WAIT_MS = 30_000;
/** Between two looks at how far the group has handled the log while it waits, ms. */
const CATCH_UP_POLL_MS = 250;

/**
 * The notification service: consumes the log as group `notification`, turns activity, new
 * posts, trends and lapses into candidates, passes each through the policies and delivers it
 * to the inbox and live subscribers. Serves NotificationService.
 */
export async function startNotification(options: NotificationOptions): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  const core = assembleNotification(options);
  runAsService('notification', () => core.flusher.start());
  core.trending.start();
  core.reactivation.start();
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
  ];
  let consumer: Consumer | undefined;
  const stop = async (): Promise<void> => {
    for (const stopGauge of stopGauges) stopGauge();
    await consumer?.stop();
    await Promise.all([core.trending.stop(), core.reactivation.stop(), core.openModel.stop()]);
    await core.flusher.stop();
    core.mesh.close();
    await core.stores.live.close();
  };
  try {
    await core.openModel.start();
    consumer = await runtime.eventLog.consume(notificationConsumeOptions(core, options));
    return await startGrpcServer({
      name: 'notification',
      ...serverOptionsFrom(config),
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

/** How the service consumes the log; the ingestion benchmark consumes the same way. */
export function notificationConsumeOptions(
  core: NotificationCore,
  options: Pick<NotificationOptions, 'config' | 'runtime'>,
): ConsumeOptions {
  return {
    group: NOTIFICATION_GROUP,
    consumer: options.runtime.consumerName,
    batchSize: options.config.NOTIFICATION_CONSUMER_BATCH_SIZE,
    // A read at once: events of different users and posts overlap, each entity's keep their
    // order (NotificationEventHandler.handleBatch); failures stay pending, by index.
    batchHandler: (events) =>
      runAsService('notification', () =>
        withSpan('notification.apply-batch', { 'feedmesh.events': events.length }, () =>
          core.handler.handleBatch(events),
        ),
      ),
  };
}

/** The service's parts, wired but not running: startNotification runs them. */
export interface NotificationCore {
  readonly stores: NotificationStores;
  readonly handler: NotificationEventHandler;
  readonly pipeline: DeliveryPipeline;
  readonly flusher: DigestFlusher;
  readonly trendingJob: TrendingJob;
  readonly reactivationJob: ReactivationJob;
  /** The jobs' periodic runners. */
  readonly trending: PeriodicJob;
  readonly reactivation: PeriodicJob;
  readonly openModel: OpenModelSource;
  readonly openProbability: OpenProbabilityPolicy;
  readonly mesh: MeshClients;
}

/**
 *   triggers (activity, new posts, trending job, reactivation job) -> digests -> flusher
 *     -> policies (preferences, freshness, still lapsed, deleted post, blocked, deduplication,
 *        quiet hours, open probability, fatigue + daily budget) -> words -> delivery
 */
export function assembleNotification(options: NotificationOptions): NotificationCore {
  const { config, runtime, logger } = options;
  checkLapseSettings(config);
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
      shards: config.NOTIFICATION_DIGEST_SHARDS,
      directoryTtlMs: config.NOTIFICATION_DIRECTORY_TTL_MS,
      parkTtlMs: config.NOTIFICATION_PARK_TTL_MS,
      parkCap: PARK_CAP,
      blocksPerUser: BLOCKS_PER_USER,
      interests: {
        halfLifeMs: config.NOTIFICATION_INTEREST_HALF_LIFE_MS,
        keptPerUser: INTERESTS_KEPT,
        fansPerTarget: Math.max(
          config.NOTIFICATION_NEW_POST_MAX_FANS,
          config.NOTIFICATION_TRENDING_MAX_FANS,
        ),
        ttlMs: config.NOTIFICATION_DIRECTORY_TTL_MS,
      },
      sessions: {
        lapseMs: config.NOTIFICATION_LAPSE_MS,
        memoryMs: config.NOTIFICATION_MAX_LAPSE_MS + DAY_MS,
      },
      preferencesCacheMs: PREFERENCES_CACHE_MS,
    },
    logger,
  );
  const openModel = new OpenModelSource(
    options.registry ?? modelRegistryFor(runtime),
    config.NOTIFICATION_OPEN_MODEL,
    config.NOTIFICATION_MODEL_RELOAD_MS,
    logger,
  );
  const openProbability = new OpenProbabilityPolicy(
    config.NOTIFICATION_OPEN_THRESHOLDS,
    stores.openStats,
    stores.sessions,
    stores.preferences,
    openModel,
  );

  // Cheapest first; those that only look before those that spend. Fatigue and the budget
  // are spent together once everything else passed (DeliveryPipeline).
  const policies: NotificationPolicy[] = [
    new PreferencesPolicy(stores.preferences),
    new FreshnessPolicy(config.NOTIFICATION_MAX_AGE),
    new StillLapsedPolicy(stores.sessions),
    new DeletedPostPolicy(stores.directory, stores.digests),
    new BlockedPolicy(stores.blocks, stores.directory, stores.digests),
    new DeduplicationPolicy(stores.inbox),
    new QuietHoursPolicy(stores.preferences),
    openProbability,
    new FatiguePolicy(config.NOTIFICATION_FATIGUE),
    new DailyBudgetPolicy(config.NOTIFICATION_DAILY_BUDGET),
  ];
  const pipeline = new DeliveryPipeline(
    policies,
    stores.quotas,
    new NotificationRenderer(stores.directory),
    new InboxDelivery(
      stores.inbox,
      stores.live,
      runtime.eventLog,
      stores.experiments,
      stores.openStats,
      metrics,
      logger,
    ),
    metrics,
  );
  const flusher = new DigestFlusher(stores.digests, pipeline, clock, logger, {
    intervalMs: config.NOTIFICATION_FLUSH_INTERVAL_MS,
    batchSize: FLUSH_BATCH,
    leaseMs: config.NOTIFICATION_FLUSH_LEASE_MS,
  });
  // An entry due at once is flushed now rather than at the next tick.
  const onDigested = (entry: DigestEntry): void => {
    if ((entry.windowMs ?? config.NOTIFICATION_DIGEST_WINDOW_MS) === 0) {
      flusher.kick(entry.subject.userId);
    }
  };
  const handler = new NotificationEventHandler({
    directory: stores.directory,
    blocks: stores.blocks,
    activity: new ActivityTrigger(
      stores.directory,
      { maxAgeMs: config.NOTIFICATION_MAX_ACTIVITY_AGE_MS },
      clock,
    ),
    newPosts: new NewPostTrigger(
      stores.directory,
      stores.interests,
      {
        topBlogs: config.NOTIFICATION_NEW_POST_TOP_BLOGS,
        maxFans: config.NOTIFICATION_NEW_POST_MAX_FANS,
        maxAgeMs: config.NOTIFICATION_MAX_ACTIVITY_AGE_MS,
        windowMs: config.NOTIFICATION_NEW_POST_WINDOW_MS,
      },
      clock,
    ),
    learner: new InterestLearner(stores.directory, stores.interests),
    digests: stores.digests,
    sessions: stores.sessions,
    inbox: stores.inbox,
    openStats: stores.openStats,
    experiments: stores.experiments,
    onDigested,
    metrics,
    logger,
    clock,
  });

  const mesh = connectMesh(
    {
      candidateGeneration: config.CANDIDATE_GENERATION_ADDR,
      featureStore: config.FEATURE_STORE_ADDR,
      ranker: config.RANKER_ADDR,
    },
    config.NOTIFICATION_DOWNSTREAM_DEADLINE_MS,
    loadTls(config),
  );
  /** Whether the group has caught up, for a job run every `intervalMs`. */
  const groupCatchUp = (intervalMs: number): CatchUp =>
    options.catchUp ??
    new GroupCatchUp(runtime.eventLog, NOTIFICATION_GROUP, {
      // A tenth of the interval at most: a run that cannot start leaves it to the next.
      waitMs: Math.min(CATCH_UP_WAIT_MS, Math.floor(intervalMs / 10)),
      pollMs: CATCH_UP_POLL_MS,
    });
  const trendingJob = new TrendingJob(
    mesh.candidates,
    stores.directory,
    stores.interests,
    stores.digests,
    stores.jobLeases,
    groupCatchUp(config.NOTIFICATION_TRENDING_INTERVAL_MS),
    runtime.consumerName,
    {
      limit: 50,
      minScore: config.NOTIFICATION_TRENDING_MIN_SCORE,
      topTags: config.NOTIFICATION_TRENDING_TOP_TAGS,
      maxFans: config.NOTIFICATION_TRENDING_MAX_FANS,
      postsPerTag: 3,
      intervalMs: config.NOTIFICATION_TRENDING_INTERVAL_MS,
    },
    onDigested,
    clock,
    logger,
  );
  const reactivationJob = new ReactivationJob(
    stores.sessions,
    groupCatchUp(config.NOTIFICATION_REACTIVATION_INTERVAL_MS),
    new ReactivationPicker(mesh, stores.directory, {
      posts: config.NOTIFICATION_REACTIVATION_POSTS,
      candidates: 200,
      perBlog: 2,
      model: config.NOTIFICATION_REACTIVATION_MODEL,
    }),
    stores.digests,
    {
      batchSize: LAPSE_CHECK_BATCH,
      // Longer than a batch of picks can take at the downstream deadline.
      leaseMs: Math.max(60_000, 4 * config.NOTIFICATION_DOWNSTREAM_DEADLINE_MS),
      lapseMs: config.NOTIFICATION_LAPSE_MS,
      maxLapseMs: config.NOTIFICATION_MAX_LAPSE_MS,
    },
    onDigested,
    clock,
    logger,
  );
  return {
    stores,
    handler,
    pipeline,
    flusher,
    trendingJob,
    reactivationJob,
    trending: new PeriodicJob(
      'trending',
      config.NOTIFICATION_TRENDING_INTERVAL_MS,
      async (signal) => void (await trendingJob.runLeased(signal)),
      logger,
    ),
    reactivation: new PeriodicJob(
      'reactivation',
      config.NOTIFICATION_REACTIVATION_INTERVAL_MS,
      async (signal) => void (await reactivationJob.runOnce(signal)),
      logger,
    ),
    openModel,
    openProbability,
    mesh,
  };
}

/** A lapse is no session for LAPSE; longer than MAX_LAPSE is churn: MAX_LAPSE must be longer. */
function checkLapseSettings(config: NotificationConfig): void {
  if (config.NOTIFICATION_REACTIVATION_INTERVAL_MS === 0) return;
  if (config.NOTIFICATION_MAX_LAPSE_MS <= config.NOTIFICATION_LAPSE_MS) {
    throw new ConfigError(
      'NOTIFICATION_MAX_LAPSE_MS',
      `must be longer than NOTIFICATION_LAPSE_MS (${config.NOTIFICATION_LAPSE_MS}), got ${config.NOTIFICATION_MAX_LAPSE_MS}: every lapse would count as churn and no reactivation digest would be sent`,
    );
  }
}

export { notificationConfigShape, type NotificationConfig } from './notification-config.js';
export type { RunningServer } from '@feedmesh/service-kit';
export type { NotificationStores } from './notification-stores.js';
export { OPEN_FEATURE_NAMES } from './open-features.js';
export {
  runNotificationBench,
  type LatencySummary,
  type NotificationBenchOptions,
  type NotificationBenchReport,
} from './bench/notification-bench.js';
