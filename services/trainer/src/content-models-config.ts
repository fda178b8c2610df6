import type { ContentModelsJobSettings } from './content-models-job.js';
import { env, runtimeConfigShape } from '@feedmesh/service-kit';
import { z } from 'zod';

/** The content models job's settings (`node dist/content-models-main.js`). */
export const contentModelsJobConfigShape = {
  ...runtimeConfigShape,
  /** Content vector length. Longer vectors tell more topics apart and cost memory per post. */
  CONTENT_MODELS_DIM: env.int(100, 2, 512),
  /** Tagged posts that vote for an untagged post's tags. */
  CONTENT_MODELS_NEIGHBOURS: env.int(50, 1, 1_000),
  /** Newest posts trained on; older ones are left out (bounds the job's memory and time). */
  CONTENT_MODELS_MAX_POSTS: env.int(200_000, 1, 10_000_000),
  CONTENT_MODELS_SEED: env.int(42, 0, 2_147_483_647),
};

export type ContentModelsJobConfig = Readonly<
  z.infer<z.ZodObject<typeof contentModelsJobConfigShape>>
>;

/** The job's training settings as the config gives them (the main entry and the playground). */
export function contentModelsSettingsFrom(
  config: ContentModelsJobConfig,
): ContentModelsJobSettings {
  return {
    dim: config.CONTENT_MODELS_DIM,
    neighbours: config.CONTENT_MODELS_NEIGHBOURS,
    maxPosts: config.CONTENT_MODELS_MAX_POSTS,
    seed: config.CONTENT_MODELS_SEED,
  };
}
