import { ConfigError } from '@feedmesh/errors';
import { DEFAULT_PROCESSED_TTL_MS, NAME_MAX_LENGTH } from '@feedmesh/events';
import { env, runtimeConfigShape, serverConfigShape } from '@feedmesh/service-kit';
import { z } from 'zod';

/** The consumer group this service reads the event log with. */
export const FEATURE_STORE_GROUP = 'feature-store';

/**
 * V8 flags the service runs with (its `start` script and NODE_OPTIONS in k8s say the same; the
 * playground and the benchmark start it with them): 64 MiB semi-spaces, so a batch's plan
 * (2,000 events) dies young instead of being promoted.
 */
export const FEATURE_STORE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

export const featureStoreConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** Ids kept per user in each set (served, engaged, hidden, owned blogs). */
  FEATURE_STORE_LIST_CAP: env.int(1_000, 1, 100_000),
  /** Tags, and blogs, whose state is kept per user (the least recently touched go first). */
  FEATURE_STORE_INTEREST_CAP: env.int(200, 1, 10_000),
  /**
   * Events read from a partition, and applied together, at a time (at most: a consumer that
   * keeps up reads what there is). Larger batches fold more events into each entity's write:
   * 2,000 cost Redis 55 µs per event against 60 with 500 when catching up (medium world).
   */
  FEATURE_STORE_BATCH_SIZE: env.int(2_000, 1, 10_000),
  /**
   * On a single Redis, a batch is planned and written in parts of about this many events, each
   * part sent as soon as it is planned, so that Redis writes one part while the service plans
   * the next (each part lands whole with its events' markers, in order).
   */
  FEATURE_STORE_WRITE_PART_EVENTS: env.int(500, 1, 10_000),
  /**
   * Consumers of the group this process runs (named CONSUMER_NAME, then CONSUMER_NAME.2, ...),
   * each applying a batch at a time. One is fastest on a single Redis (it plans a batch's next
   * part while Redis writes the one before): two would plan one batch while Redis writes the
   * other, but while catching up their batches keep changing what the other's prefetch read
   * (a post created in one, engagements with it parked by the other), so Redis refuses and
   * replans a share of them, and they read smaller batches (medium world, 2026-11-26:
   * 17,300 events/s with two against 19,200 with one). Replicas of the service add theirs.
   */
  FEATURE_STORE_CONSUMERS: env.int(1, 1, 16),
  /** Post metas (blog, tags) remembered in process (see `PostMetaCache` for when one changes). */
  FEATURE_STORE_META_CACHE: env.int(200_000, 0, 10_000_000),
  /**
   * How long an entity remembers the events it counted, so a batch written but not
   * acknowledged and delivered again counts nothing twice: at least as long as the event log
   * keeps its processed-markers (7 days) and as a batch can wait to be delivered again, so a
   * shorter one is refused. 0 keeps no markers: at-least-once, a batch delivered again may
   * count twice (cheaper ingestion).
   */
  FEATURE_STORE_COUNTED_TTL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3_600_000)
    .refine(
      (ms) => ms === 0 || ms >= DEFAULT_PROCESSED_TTL_MS,
      `must be 0 (keep no markers: at-least-once) or at least the event log's processed-marker TTL, ${DEFAULT_PROCESSED_TTL_MS} (7 days)`,
    )
    .default(DEFAULT_PROCESSED_TTL_MS),
  /**
   * Post and blog values GetFeatures keeps in process until Redis says they changed (Redis's
   * client-side caching: CLIENT TRACKING). 0 turns it off; a Redis Cluster has it off.
   */
  FEATURE_STORE_NEAR_CACHE_ENTRIES: env.int(200_000, 0, 10_000_000),
};

export type FeatureStoreConfig = Readonly<z.infer<z.ZodObject<typeof featureStoreConfigShape>>>;

/**
 * The consumers' names this process reads the log with: CONSUMER_NAME, then
 * CONSUMER_NAME.2 ... CONSUMER_NAME.<count>. A name the log would refuse at the first consume
 * (too long once suffixed) is refused at start instead, naming both variables.
 */
export function consumerNames(consumerName: string, count: number): string[] {
  const names = Array.from({ length: count }, (_, i) =>
    i === 0 ? consumerName : `${consumerName}.${i + 1}`,
  );
  const longest = names[names.length - 1] ?? consumerName;
  if (longest.length > NAME_MAX_LENGTH) {
    throw new ConfigError(
      'CONSUMER_NAME',
      `must be at most ${NAME_MAX_LENGTH - (longest.length - consumerName.length)} characters ` +
        `with FEATURE_STORE_CONSUMERS=${count}: the consumers are named CONSUMER_NAME and ` +
        `${count === 2 ? '' : 'CONSUMER_NAME.2 to '}CONSUMER_NAME.${count}, ` +
        `each of at most ${NAME_MAX_LENGTH} characters`,
    );
  }
  return names;
}
