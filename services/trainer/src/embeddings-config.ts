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
};

export type EmbeddingsJobConfig = Readonly<z.infer<z.ZodObject<typeof embeddingsJobConfigShape>>>;
