import type { ContentModelStore, ContentModelsVersion } from './content-model-store.js';
import type { TrainedContentModels } from './content-models.js';

/** The few logger methods the watcher uses (pino's shape). */
export interface WatcherLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface ContentModelsWatcherOptions {
  readonly store: ContentModelStore;
  /** Called with each newly current version's models, in the order they are loaded. */
  readonly onLoad: (models: TrainedContentModels, version: ContentModelsVersion) => void;
  /** How often to look for a newer version, ms; 0 looks only at start. */
  readonly pollMs: number;
  readonly logger: WatcherLogger;
}

/**
 * Keeps a service on the store's current content models: loads them at start, then polls.
 * A store that cannot be reached, or a broken version, leaves the loaded models in place (or
 * none: post understanding then runs on the normalization rules alone, like before any
 * training) and is retried at the next poll.
 */
export class ContentModelsWatcher {
  private loaded: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ContentModelsWatcherOptions) {}

  /** The version served, if any. */
  get version(): string | undefined {
    return this.loaded;
  }

  async start(): Promise<void> {
    await this.refresh();
    if (this.options.pollMs > 0) {
      this.timer = setInterval(() => void this.refresh(), this.options.pollMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Loads the current version if it is not the one served; one refresh at a time. */
  refresh(): Promise<void> {
    this.running ??= this.load().finally(() => (this.running = undefined));
    return this.running;
  }

  private async load(): Promise<void> {
    const { store, logger } = this.options;
    try {
      const current = await store.current();
      if (!current || current.version === this.loaded) return;
      const started = performance.now();
      const models = await store.load(current.version);
      if (!models) return;
      this.options.onLoad(models, current);
      this.loaded = current.version;
      logger.info(
        {
          version: current.version,
          trainedAtMs: current.trainedAtMs,
          examples: current.examples,
          bytes: current.bytes,
          ms: Math.round(performance.now() - started),
        },
        'content models loaded',
      );
    } catch (error) {
      logger.warn({ err: error }, 'content models not loaded; keeping the current ones');
    }
  }
}
