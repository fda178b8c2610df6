import { ContentModelsWatcher, type ContentModelStore } from '@feedmesh/content';
import type { Logger } from '@feedmesh/service-kit';
import type { ContentIndex } from './content-index.js';

export interface ContentModelsLoaderOptions {
  readonly store: ContentModelStore;
  readonly index: ContentIndex;
  /** How often to look for newly published models, ms; 0 looks only at start. */
  readonly pollMs: number;
  readonly logger: Logger;
}

/**
 * Keeps the content index on the trainer's current content models (see
 * `ContentModelsWatcher`): posts that arrive after a load get its canonical and inferred tags.
 * Without any published models the index runs on the normalization rules alone.
 */
export function contentModelsLoader(options: ContentModelsLoaderOptions): ContentModelsWatcher {
  return new ContentModelsWatcher({
    store: options.store,
    pollMs: options.pollMs,
    logger: options.logger,
    onLoad: (models) => options.index.useModels(models),
  });
}
