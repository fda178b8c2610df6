import { modelRegistryFor, type ModelRegistry } from '@feedmesh/models';
import {
  env,
  loadTls,
  runtimeConfigShape,
  tlsConfigShape,
  type Logger,
  type Runtime,
} from '@feedmesh/service-kit';
import { z } from 'zod';
import { DEFAULT_CLOCK_SKEW_MS } from './attribution.js';
import type { FeatureSource } from './feature-source.js';
import { FeatureStoreFeatureSource } from './feature-store.source.js';
import { train, type TrainerReport } from './trainer.js';

const modelName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters from [A-Za-z0-9_.:-]');

const fraction = (fallback: number, min: number, max: number) =>
  z.coerce.number().min(min).max(max).default(fallback);

export const trainerConfigShape = {
  ...runtimeConfigShape,
  // The trainer calls the feature store: with mutual TLS on, it presents a certificate too.
  ...tlsConfigShape,
  /** The feature store's gRPC address (GetFeatures for every example). */
  FEATURE_STORE_ADDR: env.address('127.0.0.1:50053'),
  /** Deadline of one GetFeatures call, ms. */
  FEATURE_STORE_DEADLINE_MS: env.int(30_000, 100, 600_000),
  /** The registry name the trained model is published under (the ranker's default is `feed`). */
  TRAINER_MODEL_NAME: modelName.default('feed'),
  /** Without impressions: sampled negatives per engaged (user, post). */
  TRAINER_NEGATIVES_PER_POSITIVE: env.int(4, 1, 100),
  /** The most recent share of examples held out for evaluation. */
  TRAINER_HOLDOUT_FRACTION: fraction(0.2, 0.05, 0.5),
  /** Seeds negative sampling: the same log and seed give the same model. */
  TRAINER_SEED: env.int(42, 0, 2_147_483_647),
  /**
   * What a user does to a post this long after meeting it still counts, ms (default 1 day).
   * Also how long examples wait to be labelled, and the embargo before the held-out slice.
   */
  TRAINER_ATTRIBUTION_WINDOW_MS: env.int(86_400_000, 1_000, 30 * 86_400_000),
  /**
   * An engagement or follow stamped up to this long before an impression (the client's clock
   * running slow; the gateway stamps impressions) is credited to it when no earlier impression
   * could have led to it, ms. Default 5 minutes, the skew the feed gateway accepts.
   */
  TRAINER_CLOCK_SKEW_MS: env.int(DEFAULT_CLOCK_SKEW_MS, 0, 3_600_000),
  /**
   * A version replaces the current one only when the held-out slice holds at least this many
   * positives, and as many negatives, of the promotion metric's objective: with fewer the
   * comparison is noise, and with one class logloss and ece only reward predicting it.
   */
  TRAINER_PROMOTION_MIN_POSITIVES: env.int(10, 1, 1_000_000),
  /** L2 penalty on standardized coefficients. */
  TRAINER_L2: fraction(1e-3, 0, 100),
  /**
   * The model family trained: `logistic` (one regression per objective) or `gbdt`
   * (gradient-boosted trees per objective, which learn interactions between features).
   */
  TRAINER_MODEL_FAMILY: z.enum(['logistic', 'gbdt']).default('logistic'),
  /** Boosting rounds of a `gbdt` model. */
  TRAINER_GBDT_TREES: env.int(100, 1, 2_000),
  /** Comma-separated feature names to train on; empty means every feature served. */
  TRAINER_FEATURES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
};

export type TrainerConfig = Readonly<z.infer<z.ZodObject<typeof trainerConfigShape>>>;

export interface TrainerOptions {
  readonly config: TrainerConfig;
  /** Its event log is read (history) and, without `registry`, its Redis holds the registry. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Default: the deployment registry (Redis when `runtime.redis` is set). */
  readonly registry?: ModelRegistry;
  /** Default: the feature store at FEATURE_STORE_ADDR. */
  readonly featureSource?: FeatureSource;
  /**
   * The held-out metric a new version must beat. Default `auc_like`. One of `auc_<objective>`
   * (higher is better), `logloss_<objective>` or `ece_<objective>` (lower is better); any
   * other name fails the run with an InvalidArgumentError on `promotionMetric`.
   */
  readonly promotionMetric?: string;
}

/**
 * One run of the trainer (a CronJob): builds examples from the event log's history, trains,
 * evaluates on a held-out slice, publishes, and promotes only a version that beats the
 * current one. Resolves with what it did; throws when a dependency fails.
 */
export async function runTrainer(options: TrainerOptions): Promise<TrainerReport> {
  const { config } = options;
  const owned = options.featureSource
    ? undefined
    : new FeatureStoreFeatureSource(config.FEATURE_STORE_ADDR, {
        deadlineMs: config.FEATURE_STORE_DEADLINE_MS,
        tls: loadTls(config),
      });
  try {
    return await train(
      {
        modelName: config.TRAINER_MODEL_NAME,
        attributionWindowMs: config.TRAINER_ATTRIBUTION_WINDOW_MS,
        clockSkewMs: config.TRAINER_CLOCK_SKEW_MS,
        negativesPerPositive: config.TRAINER_NEGATIVES_PER_POSITIVE,
        holdoutFraction: config.TRAINER_HOLDOUT_FRACTION,
        seed: config.TRAINER_SEED,
        l2: config.TRAINER_L2,
        family: config.TRAINER_MODEL_FAMILY,
        gbdtTrees: config.TRAINER_GBDT_TREES,
        features: config.TRAINER_FEATURES,
        promotionMetric: options.promotionMetric ?? 'auc_like',
        promotionMinPositives: config.TRAINER_PROMOTION_MIN_POSITIVES,
      },
      {
        eventLog: options.runtime.eventLog,
        registry: options.registry ?? modelRegistryFor(options.runtime),
        featureSource: options.featureSource ?? (owned as FeatureSource),
        logger: options.logger,
        clock: options.clock ?? Date.now,
      },
    );
  } finally {
    owned?.close();
  }
}

export type { TrainerReport } from './trainer.js';
export type { FeatureRequestAt, FeatureRows, FeatureSource } from './feature-source.js';
export type { FeatureProvenance } from './example-features.js';
export { FeatureStoreFeatureSource } from './feature-store.source.js';
export {
  runEmbeddingsJob,
  type EmbeddingsJobOptions,
  type EmbeddingsJobReport,
} from './embeddings-job.js';
export {
  embeddingsJobConfigShape,
  embeddingsSettingsFrom,
  type EmbeddingsJobConfig,
} from './embeddings-config.js';
export {
  runContentModelsJob,
  type ContentModelsJobOptions,
  type ContentModelsJobReport,
  type ContentModelsJobSettings,
} from './content-models-job.js';
export {
  contentModelsJobConfigShape,
  contentModelsSettingsFrom,
  type ContentModelsJobConfig,
} from './content-models-config.js';
