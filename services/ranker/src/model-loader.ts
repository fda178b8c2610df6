import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@feedmesh/errors';
import {
  HEURISTIC_MODEL_NAME,
  HEURISTIC_MODEL_VERSION,
  heuristicModel,
  Scorer,
  type ModelRegistry,
  type ModelVersion,
} from '@feedmesh/models';
import type { Logger } from '@feedmesh/service-kit';

/** A model version compiled and ready to score. */
export interface LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly scorer: Scorer;
  readonly info: ModelVersion;
}

export interface ModelLoaderOptions {
  readonly registry: ModelRegistry;
  /** The name an empty `model` means; a registry miss for it falls back to the heuristic. */
  readonly defaultModel: string;
  readonly reloadIntervalMs: number;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** Non-current versions asked for by name (experiments, rollbacks) kept compiled. */
const MAX_PINNED = 16;

/**
 * The ranker's models, kept compiled in memory and hot-reloaded.
 *
 * A poll reads every name's current pointer (one registry round trip), compiles any version
 * it has not loaded yet, then publishes the new set with a single assignment. A request
 * takes the set that is in place when it resolves its model and scores with that Scorer to
 * the end, so no request ever sees a half-loaded model, and none waits for a load unless it
 * pins a version that is not loaded.
 *
 * If the registry cannot be read, the loader keeps serving what it has (and the heuristic).
 */
export class ModelLoader {
  private current: ReadonlyMap<string, LoadedModel> = new Map();
  private readonly pinned = new Map<string, LoadedModel>();
  private readonly pinning = new Map<string, Promise<LoadedModel | undefined>>();
  /** Versions whose stored document is malformed: retrying every poll would only log again. */
  private readonly broken = new Set<string>();
  private readonly heuristic: LoadedModel;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ModelLoaderOptions) {
    const model = heuristicModel();
    this.heuristic = {
      name: HEURISTIC_MODEL_NAME,
      version: HEURISTIC_MODEL_VERSION,
      scorer: new Scorer(model),
      info: {
        name: HEURISTIC_MODEL_NAME,
        version: HEURISTIC_MODEL_VERSION,
        family: model.family,
        trainedAtMs: 0,
        publishedAtMs: 0,
        featureNames: model.features.map((f) => f.name),
        objectives: model.objectives.map((o) => o.objective),
        metrics: {},
        notes: { source: 'built in' },
      },
    };
  }

  /** Loads what the registry points to now, then keeps polling. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.refreshing;
  }

  /** One poll; concurrent calls share it. Never throws: a failed poll keeps the old set. */
  refresh(): Promise<void> {
    this.refreshing ??= this.poll().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * The model a request asked for. `name` empty means the default model; `version` empty
   * means its current version. Throws NotFoundError naming `model` or `model_version`.
   */
  async resolve(name: string, version: string): Promise<LoadedModel> {
    const wanted = name === '' ? this.options.defaultModel : name;
    if (wanted === HEURISTIC_MODEL_NAME) {
      if (version !== '' && version !== HEURISTIC_MODEL_VERSION) {
        throw new NotFoundError('model_version', `${wanted}@${version}`);
      }
      return this.heuristic;
    }
    const current = this.current.get(wanted);
    if (version === '') {
      if (current) return current;
      // A fresh deployment has no trained default model yet: rank with the heuristic, and
      // say so in the response's `model`, rather than fail every feed.
      if (wanted === this.options.defaultModel) return this.heuristic;
      throw new NotFoundError('model', wanted);
    }
    if (current?.version === version) return current;
    const pinned = await this.pin(wanted, version);
    if (pinned === undefined) throw new NotFoundError('model_version', `${wanted}@${version}`);
    return pinned;
  }

  /** Whether this process holds `name@version` compiled right now. */
  isLoaded(name: string, version: string): boolean {
    if (name === HEURISTIC_MODEL_NAME) return version === HEURISTIC_MODEL_VERSION;
    return this.current.get(name)?.version === version || this.pinned.has(`${name}@${version}`);
  }

  get builtIn(): LoadedModel {
    return this.heuristic;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().then(() => this.schedule());
    }, this.options.reloadIntervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    let pointers: ReadonlyMap<string, string>;
    try {
      pointers = await this.options.registry.currentVersions();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'model registry unreachable; keeping loaded models');
      return;
    }
    const next = new Map<string, LoadedModel>();
    for (const [name, version] of pointers) {
      const loaded = this.current.get(name);
      if (loaded?.version === version) {
        next.set(name, loaded);
        continue;
      }
      const key = `${name}@${version}`;
      if (this.broken.has(key)) {
        if (loaded) next.set(name, loaded);
        continue;
      }
      const fresh = this.pinned.get(key) ?? (await this.load(name, version));
      if (fresh) {
        next.set(name, fresh);
        this.options.logger.info(
          { model: name, version, previous: loaded?.version ?? null },
          'model loaded',
        );
      } else if (loaded) {
        next.set(name, loaded);
      }
    }
    this.current = next;
  }

  private pin(name: string, version: string): Promise<LoadedModel | undefined> {
    const key = `${name}@${version}`;
    const held = this.pinned.get(key);
    if (held) {
      // Refresh its place in the LRU order.
      this.pinned.delete(key);
      this.pinned.set(key, held);
      return Promise.resolve(held);
    }
    let loading = this.pinning.get(key);
    if (loading === undefined) {
      loading = this.load(name, version, { throwOnError: true })
        .then((loaded) => {
          if (loaded) {
            if (this.pinned.size >= MAX_PINNED) {
              const oldest = this.pinned.keys().next().value;
              if (oldest !== undefined) this.pinned.delete(oldest);
            }
            this.pinned.set(key, loaded);
          }
          return loaded;
        })
        .finally(() => this.pinning.delete(key));
      this.pinning.set(key, loading);
    }
    return loading;
  }

  private async load(
    name: string,
    version: string,
    options: { throwOnError?: boolean } = {},
  ): Promise<LoadedModel | undefined> {
    try {
      const stored = await this.options.registry.get(name, version);
      if (stored === undefined) return undefined;
      return { name, version, scorer: new Scorer(stored.model), info: stored.info };
    } catch (error) {
      const malformed = error instanceof InvalidArgumentError;
      if (malformed) this.broken.add(`${name}@${version}`);
      if (options.throwOnError) {
        if (!malformed) throw error;
        throw new FailedPreconditionError(
          `model_version ${name}@${version} is stored but malformed (${error.message})`,
        );
      }
      this.options.logger.error({ err: error, model: name, version }, 'model failed to load');
      return undefined;
    }
  }
}
