import { env, runtimeConfigShape, serverConfigShape } from '@feedmesh/service-kit';
import { z } from 'zod';
import { typeSettings } from './type-settings.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The service's settings, read from the environment (README: Configuration). */
export const notificationConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** The services reactivation and trending call. */
  CANDIDATE_GENERATION_ADDR: env.address('127.0.0.1:50052'),
  FEATURE_STORE_ADDR: env.address('127.0.0.1:50053'),
  RANKER_ADDR: env.address('127.0.0.1:50054'),
  /** Deadline of each call to them, ms. */
  NOTIFICATION_DOWNSTREAM_DEADLINE_MS: env.int(2_000, 10, MINUTE_MS),
  /**
   * Events the consumer reads from a partition and handles at once (events of different users
   * and posts overlap). Larger batches amortize round trips; a crash re-applies at most one.
   */
  NOTIFICATION_CONSUMER_BATCH_SIZE: env.int(500, 1, 5_000),
  /**
   * Activity of one kind on one post (or follows of one blog) within this long merges into one
   * notification; 0 sends each at once, ms.
   */
  NOTIFICATION_DIGEST_WINDOW_MS: env.int(60_000, 0, DAY_MS),
  /** New posts of a user's favourite blogs within this long merge into one notification, ms. */
  NOTIFICATION_NEW_POST_WINDOW_MS: env.int(15 * MINUTE_MS, 0, DAY_MS),
  /** How often the flusher looks for due digests, ms. */
  NOTIFICATION_FLUSH_INTERVAL_MS: env.int(250, 10, MINUTE_MS),
  /** A digest claimed by a replica that died is flushed by another after this, ms. */
  NOTIFICATION_FLUSH_LEASE_MS: env.int(30_000, 1_000, 10 * MINUTE_MS),
  /** Pending digests and lapse checks are spread over this many Redis slots. Fixed. */
  NOTIFICATION_DIGEST_SHARDS: env.int(16, 1, 1024),
  /** Notifications kept per user. */
  NOTIFICATION_INBOX_CAP: env.int(500, 1, 10_000),
  /** An inbox with no delivery for this long is deleted, ms. */
  NOTIFICATION_INBOX_TTL_MS: env.int(90 * DAY_MS, HOUR_MS, 365 * DAY_MS),
  /** Per type `max/window/min gap`; types left out keep these defaults. */
  NOTIFICATION_FATIGUE: typeSettings.fatigue(
    'ACTIVITY=30/1h/0,NEW_POST=4/6h/30m,TRENDING=2/1d/4h,REACTIVATION=1/3d/0',
  ),
  /** Notifications per user in any 24 hours, all types together. */
  NOTIFICATION_DAILY_BUDGET: env.int(50, 1, 10_000),
  /** Per type, the least P(open) worth sending; 0 sends without scoring. */
  NOTIFICATION_OPEN_THRESHOLDS: typeSettings.probability(
    'ACTIVITY=0,NEW_POST=0.03,TRENDING=0.03,REACTIVATION=0.02',
  ),
  /** Per type, news older than this when it could be sent is dropped. */
  NOTIFICATION_MAX_AGE: typeSettings.maxAge('NEW_POST=1d,TRENDING=12h,REACTIVATION=3d'),
  /** The model registry name of the open-probability model; the heuristic until it exists. */
  NOTIFICATION_OPEN_MODEL: env.string('notification-open'),
  NOTIFICATION_MODEL_RELOAD_MS: env.int(60_000, 100, HOUR_MS),
  /** Activity older than this when consumed is not notified (a replay, a long backlog), ms. */
  NOTIFICATION_MAX_ACTIVITY_AGE_MS: env.int(6 * HOUR_MS, 1_000, 30 * DAY_MS),
  /** Activity on a post or blog not known yet waits this long for it, ms. */
  NOTIFICATION_PARK_TTL_MS: env.int(10 * MINUTE_MS, 1_000, DAY_MS),
  /** Posts and blogs are forgotten this long after they were last seen, ms. */
  NOTIFICATION_DIRECTORY_TTL_MS: env.int(180 * DAY_MS, HOUR_MS, 3650 * DAY_MS),
  /** Engagements count half as much towards interests after this long, ms. */
  NOTIFICATION_INTEREST_HALF_LIFE_MS: env.int(14 * DAY_MS, HOUR_MS, 365 * DAY_MS),
  /** A blog must be among a user's this-many strongest for its new posts to notify them. */
  NOTIFICATION_NEW_POST_TOP_BLOGS: env.int(5, 1, 50),
  /** Fans one new post can notify (the blog's strongest). */
  NOTIFICATION_NEW_POST_MAX_FANS: env.int(1_000, 1, 10_000),
  /** How often the trending job asks candidate-generation; 0 turns it off, ms. */
  NOTIFICATION_TRENDING_INTERVAL_MS: env.int(15 * MINUTE_MS, 0, DAY_MS),
  /** Trending's score a tag needs to notify anyone. */
  NOTIFICATION_TRENDING_MIN_SCORE: z.coerce.number().min(0).max(1_000).default(3),
  /** A tag must be among a user's this-many strongest for its trend to notify them. */
  NOTIFICATION_TRENDING_TOP_TAGS: env.int(10, 1, 50),
  /** Fans one trending tag can notify (the tag's strongest). */
  NOTIFICATION_TRENDING_MAX_FANS: env.int(5_000, 1, 10_000),
  /** How often lapse checks are looked for; 0 turns reactivation off, ms. */
  NOTIFICATION_REACTIVATION_INTERVAL_MS: env.int(10 * MINUTE_MS, 0, DAY_MS),
  /** A user without a session for this long is lapsed, ms. */
  NOTIFICATION_LAPSE_MS: env.int(7 * DAY_MS, HOUR_MS, 180 * DAY_MS),
  /** Lapsed longer than this is churn: no reactivation digest, ms. */
  NOTIFICATION_MAX_LAPSE_MS: env.int(60 * DAY_MS, HOUR_MS, 365 * DAY_MS),
  /** Posts in a reactivation digest. */
  NOTIFICATION_REACTIVATION_POSTS: env.int(5, 1, 20),
  /** The ranker model that orders them; empty for the ranker's default. */
  NOTIFICATION_REACTIVATION_MODEL: z.string().max(64).default(''),
};

export type NotificationConfig = Readonly<z.infer<z.ZodObject<typeof notificationConfigShape>>>;
