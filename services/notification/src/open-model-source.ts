import { Scorer, type ModelRegistry } from '@feedmesh/models';
import type { Logger } from '@feedmesh/service-kit';

/**
 * The current version of the open-probability model in the registry, compiled once per
 * version and polled every `reloadMs` (as the ranker does), or undefined while the registry
 * has none: the policy then uses its heuristic. A registry that cannot be read keeps the last
 * model; nothing here throws into the pipeline.
 */
export class OpenModelSource {
  private loaded: { readonly version: string; readonly scorer: Scorer } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly modelName: string,
    private readonly reloadMs: number,
    private readonly logger: Logger,
  ) {}

  /** The model in use, as `name@version`, or undefined for the heuristic. */
  get version(): string | undefined {
    return this.loaded === undefined ? undefined : `${this.modelName}@${this.loaded.version}`;
  }

  get scorer(): Scorer | undefined {
    return this.loaded?.scorer;
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.reloadMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.reloading;
  }

  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    try {
      const current = await this.registry.current(this.modelName);
      if (current === undefined) {
        this.loaded = undefined;
        return;
      }
      if (current.version === this.loaded?.version) return;
      const stored = await this.registry.get(this.modelName, current.version);
      if (stored === undefined) return;
      this.loaded = { version: current.version, scorer: new Scorer(stored.model) };
      this.logger.info({ model: this.version }, 'open-probability model loaded');
    } catch (error) {
      this.logger.warn(
        { err: error, model: this.modelName },
        'open-probability model not reloaded',
      );
    }
  }
}
