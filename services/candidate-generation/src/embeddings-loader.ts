import type { EmbeddingStore } from '@feedmesh/embeddings';
import type { Logger } from '@feedmesh/service-kit';
import type { EmbeddingIndex } from './embedding-index.js';
import type { RelatedIndex } from './related-index.js';

export interface EmbeddingsLoaderOptions {
  readonly store: EmbeddingStore;
  readonly index: EmbeddingIndex;
  /** Also serves the artifact's item-to-item model (the related source), if it ships one. */
  readonly related?: RelatedIndex;
  /** Posts deleted since training are left out of the index. */
  readonly isLive: (postId: string) => boolean;
  /** How often to look for a newer version, ms; 0 looks only at start. */
  readonly pollMs: number;
  readonly logger: Logger;
}

/**
 * Keeps the served embeddings at the store's current version: loads it at start, then polls.
 * A store that cannot be reached, or a broken version, leaves the loaded model in place (or
 * none: the embeddings source then proposes nothing and says so in no error, like a cold
 * start) and is retried at the next poll.
 */
export class EmbeddingsLoader {
  private loaded: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: EmbeddingsLoaderOptions) {}

  get version(): string | undefined {
    return this.loaded;
  }

  async start(): Promise<void> {
    await this.refresh();
    if (this.options.pollMs > 0) {
      this.timer = setInterval(() => {
        this.running ??= this.refresh().finally(() => (this.running = undefined));
      }, this.options.pollMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Loads the current version if it is not the one served. */
  async refresh(): Promise<void> {
    const { store, index, logger } = this.options;
    try {
      const current = await store.current();
      if (!current || current.version === this.loaded) return;
      const started = performance.now();
      const artifact = await store.load(current.version);
      if (!artifact) return;
      index.load(artifact, this.options.isLive);
      this.options.related?.load(artifact.neighbours);
      this.loaded = current.version;
      logger.info(
        {
          version: current.version,
          trainedAtMs: current.trainedAtMs,
          ms: Math.round(performance.now() - started),
          ...index.stats,
        },
        'embeddings loaded',
      );
    } catch (error) {
      logger.warn({ err: error }, 'embeddings not loaded; keeping the current ones');
    }
  }
}
