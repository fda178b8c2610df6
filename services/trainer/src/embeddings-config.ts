import type { EmbeddingsJobOptions } from './embeddings-job.js';
import { env, runtimeConfigShape } from '@feedmesh/service-kit';
import { z } from 'zod';

const positive = (fallback: number, max: number) =>
  z.coerce.number().positive().max(max).default(fallback);

/** The embeddings job's settings (`node dist/embeddings-main.js`). */
export const embeddingsJobConfigShape = {
  ...runtimeConfigShape,
  /** Vector length. Longer vectors fit finer tastes and cost memory and search time. */
  EMBEDDINGS_FACTORS: env.int(64, 2, 512),
  /** ALS alternations. */
  EMBEDDINGS_ITERATIONS: env.int(10, 1, 100),
  /** L2 penalty λ. */
  EMBEDDINGS_REGULARIZATION: positive(10, 10_000),
  /** Confidence per unit of engagement weight. */
  EMBEDDINGS_ALPHA: positive(5, 10_000),
  EMBEDDINGS_SEED: env.int(42, 0, 2_147_483_647),
  /**
   * Posts in the related source's item-to-item model (session EASE), the most engaged first;
   * 0 trains none. Its training is cubic in this: 4,500 take about 2 minutes on a shared core.
   */
  EMBEDDINGS_NEIGHBOUR_POSTS: env.int(0, 0, 20_000),
  /** Targets kept per post. */
  EMBEDDINGS_NEIGHBOURS: env.int(1_000, 1, 10_000),
  /** Engagements up to this many places apart in a user's history count as one session. */
  EMBEDDINGS_NEIGHBOUR_WINDOW: env.int(100, 1, 1_000),
  /** λ of the item-to-item weights. */
  EMBEDDINGS_NEIGHBOUR_REGULARIZATION: positive(50, 100_000),
};

export type EmbeddingsJobConfig = Readonly<z.infer<z.ZodObject<typeof embeddingsJobConfigShape>>>;

/** The job's training settings as the config gives them (the main entry and the playground). */
export function embeddingsSettingsFrom(
  config: EmbeddingsJobConfig,
): Pick<EmbeddingsJobOptions, 'als' | 'neighbours'> {
  return {
    als: {
      factors: config.EMBEDDINGS_FACTORS,
      iterations: config.EMBEDDINGS_ITERATIONS,
      regularization: config.EMBEDDINGS_REGULARIZATION,
      alpha: config.EMBEDDINGS_ALPHA,
      seed: config.EMBEDDINGS_SEED,
    },
    neighbours: config.EMBEDDINGS_NEIGHBOUR_POSTS > 0 && {
      maxItems: config.EMBEDDINGS_NEIGHBOUR_POSTS,
      minEngagers: 2,
      neighbours: config.EMBEDDINGS_NEIGHBOURS,
      window: config.EMBEDDINGS_NEIGHBOUR_WINDOW,
      regularization: config.EMBEDDINGS_NEIGHBOUR_REGULARIZATION,
    },
  };
}
