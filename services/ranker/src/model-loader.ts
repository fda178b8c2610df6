import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@feedmesh/errors';
import {
  HEURISTIC_MODEL_NAME,
  HEURISTIC_MODEL_VERSION,
  heuristicModel,
  Scorer,
  type ModelRegistry,
  type ModelVersion,
  type Promotion,
  type StoredModel,
} from '@feedmesh/models';
import type { Logger } from '@feedmesh/service-kit';
import {
  NO_RANKER_METRICS,
  type FallbackReason,
  type LoadFailureReason,
  type RankerMetrics,
} from './ranker-metrics.js';

/** A model version compiled and ready to score. */
export interface LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly scorer: Scorer;
  readonly info: ModelVersion;
}

/**
 * What a request resolved to; `fallback` says why another model than the one asked for
 * answers: the heuristic for the default model, or an earlier version of the model.
 */
export interface ResolvedModel {
  readonly model: LoadedModel;
  readonly fallback?: FallbackReason;
}

/** A version that could not be loaded, and why. */
interface LoadFailure {
  readonly reason: LoadFailureReason;
  readonly detail: string;
  readonly error?: unknown;
}

/** A name's current version that could not be loaded, and the earlier one serving instead. */
interface CurrentFailure extends LoadFailure {
  readonly version: string;
  readonly serving: string | undefined;
}

export interface ModelLoaderOptions {
  readonly registry: ModelRegistry;
  /** The name an empty `model` means; a registry miss for it falls back to the heuristic. */
  readonly defaultModel: string;
  readonly reloadIntervalMs: number;
  readonly logger: Logger;
  readonly clock?: () => number;
  readonly metrics?: RankerMetrics;
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
 * A current version that cannot be loaded (corrupt, dangling, or the registry failing to
 * answer for it) never replaces a loaded one; it is logged once and counted. A name with
 * nothing loaded (a process that just started) then takes the latest version promoted
 * before it that loads, from the registry's promotion history, so that a restarted replica
 * serves what the others kept; with none, it answers FAILED_PRECONDITION (UNAVAILABLE while
 * the registry fails), except the default model, which the heuristic ranks. Either way a
 * request says which version scored, and that it is a `previous_version` fallback.
 */
export class ModelLoader {
  private current: ReadonlyMap<string, LoadedModel> = new Map();
  private readonly pinned = new Map<string, LoadedModel>();
  private readonly pinning = new Map<string, Promise<LoadedModel | undefined>>();
  /** Versions whose stored form is malformed: immutable, so never read again. */
  private readonly broken = new Map<string, LoadFailure>();
  /**
   * Per name, its current version when that could not be loaded at the last poll, and the
   * earlier version serving in its place, if any.
   */
  private failures: ReadonlyMap<string, CurrentFailure> = new Map();
  /** Whether a poll has read the registry's pointers yet. */
  private pointersRead = false;
  /** What the default model was ranked with after the last poll, to log only a change. */
  private defaultServedBy: string | undefined;
  private readonly metrics: RankerMetrics;
  private readonly heuristic: LoadedModel;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ModelLoaderOptions) {
    this.metrics = options.metrics ?? NO_RANKER_METRICS;
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
   * means its current version. Throws NotFoundError naming `model` or `model_version`,
   * FailedPreconditionError (UnavailableError while the registry fails) for a model whose
   * current version exists but cannot be loaded. The default model is then ranked by the
   * heuristic, and `fallback` says why.
   */
  async resolve(name: string, version: string): Promise<ResolvedModel> {
    const wanted = name === '' ? this.options.defaultModel : name;
    if (wanted === HEURISTIC_MODEL_NAME) {
      if (version !== '' && version !== HEURISTIC_MODEL_VERSION) {
        throw new NotFoundError('model_version', `${wanted}@${version}`);
      }
      return { model: this.heuristic };
    }
    const current = this.current.get(wanted);
    if (version === '') {
      // Loaded while the current pointer failed: an earlier version answers for it.
      if (current) {
        return this.failures.has(wanted)
          ? { model: current, fallback: 'previous_version' }
          : { model: current };
      }
      // A fresh deployment has no trained default model yet: rank with the heuristic, and
      // say so in the response's `model`, rather than fail every feed.
      if (wanted === this.options.defaultModel) {
        return { model: this.heuristic, fallback: this.defaultFallback() };
      }
      if (!this.pointersRead) {
        throw new UnavailableError(
          'model registry',
          `not read yet, so model "${wanted}" is not loaded`,
        );
      }
      const failure = this.failures.get(wanted);
      if (failure) {
        const problem = `model "${wanted}": current version ${failure.version} cannot be loaded (${failure.reason}: ${failure.detail})`;
        if (failure.reason === 'unavailable') throw new UnavailableError('model registry', problem);
        throw new FailedPreconditionError(problem);
      }
      throw new NotFoundError('model', wanted);
    }
    if (current?.version === version) return { model: current };
    const pinned = await this.pin(wanted, version);
    if (pinned === undefined) throw new NotFoundError('model_version', `${wanted}@${version}`);
    return { model: pinned };
  }

  /** Whether this process holds `name@version` compiled right now. */
  isLoaded(name: string, version: string): boolean {
    if (name === HEURISTIC_MODEL_NAME) return version === HEURISTIC_MODEL_VERSION;
    return this.current.get(name)?.version === version || this.pinned.has(`${name}@${version}`);
  }

  get builtIn(): LoadedModel {
    return this.heuristic;
  }

  /** The model an empty `model` means. */
  get defaultModel(): string {
    return this.options.defaultModel;
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
      this.announceDefault();
      return;
    }
    this.pointersRead = true;
    const next = new Map<string, LoadedModel>();
    const failures = new Map<string, CurrentFailure>();
    for (const [name, version] of pointers) {
      const loaded = this.current.get(name);
      if (loaded?.version === version) {
        next.set(name, loaded);
        continue;
      }
      const key = `${name}@${version}`;
      let outcome: LoadedModel | LoadFailure | undefined =
        this.broken.get(key) ?? this.pinned.get(key);
      if (outcome === undefined) {
        outcome = await this.load(name, version);
        if (!('scorer' in outcome)) this.metrics.loadFailed(name, version, outcome.reason);
      }
      if ('scorer' in outcome) {
        next.set(name, outcome);
        this.options.logger.info(
          { model: name, version, previous: loaded?.version ?? null },
          'model loaded',
        );
        continue;
      }
      const serving = loaded ?? (await this.earlierVersion(name, version));
      failures.set(name, { version, serving: serving?.version, ...outcome });
      const before = this.failures.get(name);
      if (
        before?.version !== version ||
        before.reason !== outcome.reason ||
        before.serving !== serving?.version
      ) {
        this.options.logger.error(
          {
            ...(outcome.error === undefined ? {} : { err: outcome.error }),
            model: name,
            version,
            reason: outcome.reason,
            serving: serving?.version ?? null,
            ...(serving ? { fallback: 'previous_version' satisfies FallbackReason } : {}),
          },
          loaded
            ? 'model version not loaded; keeping the loaded one'
            : serving
              ? 'model version not loaded; the latest earlier promoted version that loads ranks instead'
              : 'model version not loaded; nothing loaded for the model, nor any earlier promoted version',
        );
      }
      if (serving) next.set(name, serving);
    }
    this.current = next;
    this.failures = failures;
    this.announceDefault();
  }

  /** Logs when the heuristic starts or stops ranking the default model. */
  private announceDefault(): void {
    const { defaultModel } = this.options;
    if (defaultModel === HEURISTIC_MODEL_NAME) return;
    const loaded = this.current.get(defaultModel);
    const servedBy = loaded ? `${loaded.name}@${loaded.version}` : HEURISTIC_MODEL_NAME;
    if (servedBy === this.defaultServedBy) return;
    this.defaultServedBy = servedBy;
    if (loaded) return;
    const failure = this.failures.get(defaultModel);
    this.options.logger.warn(
      {
        model: defaultModel,
        reason: this.defaultFallback(),
        ...(failure ? { version: failure.version } : {}),
        heuristic: `${HEURISTIC_MODEL_NAME}@${HEURISTIC_MODEL_VERSION}`,
      },
      DEFAULT_FALLBACK_MESSAGE,
    );
  }

  private defaultFallback(): FallbackReason {
    if (this.failures.has(this.options.defaultModel)) return 'current_version_unloadable';
    return this.pointersRead ? 'no_current_version' : 'registry_unreachable';
  }

  /**
   * For a name with nothing loaded whose current version cannot be: the latest version
   * promoted before it that loads. A malformed one is counted, logged and remembered (never
   * read again); one pruned since is passed over; a registry failing to answer ends the search
   * until the next poll.
   */
  private async earlierVersion(name: string, current: string): Promise<LoadedModel | undefined> {
    let history: readonly Promotion[];
    try {
      history = await this.options.registry.history(name);
    } catch (error) {
      this.options.logger.warn(
        { err: error, model: name, version: current },
        'model promotion history unreadable; no earlier version to fall back to until the next poll',
      );
      return undefined;
    }
    const tried = new Set([current]);
    for (const { version } of history) {
      if (tried.has(version)) continue;
      tried.add(version);
      const key = `${name}@${version}`;
      if (this.broken.has(key)) continue;
      const outcome = this.pinned.get(key) ?? (await this.load(name, version));
      if ('scorer' in outcome) return outcome;
      if (outcome.reason === 'unavailable') return undefined;
      if (outcome.reason === 'malformed') {
        this.metrics.loadFailed(name, version, outcome.reason);
        this.options.logger.warn(
          { err: outcome.error, model: name, version, reason: outcome.reason },
          'earlier promoted model version not loaded either; trying the one promoted before it',
        );
      }
    }
    return undefined;
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
    const broken = this.broken.get(key);
    if (broken) return Promise.reject(malformedVersion(key, broken));
    let loading = this.pinning.get(key);
    if (loading === undefined) {
      loading = this.load(name, version)
        .then((outcome) => {
          if (!('scorer' in outcome)) {
            // A version the registry lacks is the caller's mistake (NOT_FOUND), not a failure.
            if (outcome.reason === 'missing') return undefined;
            this.metrics.loadFailed(name, version, outcome.reason);
            if (outcome.reason === 'unavailable') throw outcome.error;
            this.options.logger.error(
              { err: outcome.error, model: name, version, reason: outcome.reason },
              'pinned model version not loaded',
            );
            throw malformedVersion(key, outcome);
          }
          if (this.pinned.size >= MAX_PINNED) {
            const oldest = this.pinned.keys().next().value;
            if (oldest !== undefined) this.pinned.delete(oldest);
          }
          this.pinned.set(key, outcome);
          return outcome;
        })
        .finally(() => this.pinning.delete(key));
      this.pinning.set(key, loading);
    }
    return loading;
  }

  /**
   * Reads and compiles one version; the caller counts and logs a failure. Anything but the
   * registry failing to answer means the stored version itself is bad, which no retry mends
   * (versions are immutable), so it is remembered and not read again.
   */
  private async load(name: string, version: string): Promise<LoadedModel | LoadFailure> {
    const malformed = (error: unknown): LoadFailure => {
      const failure: LoadFailure = { reason: 'malformed', detail: messageOf(error), error };
      this.broken.set(`${name}@${version}`, failure);
      return failure;
    };
    let stored: StoredModel | undefined;
    try {
      stored = await this.options.registry.get(name, version);
    } catch (error) {
      // The registry parses what it read: a document or metadata that is not a model.
      if (error instanceof InvalidArgumentError || error instanceof SyntaxError) {
        return malformed(error);
      }
      return { reason: 'unavailable', detail: messageOf(error), error };
    }
    if (stored === undefined) {
      return { reason: 'missing', detail: 'the registry does not hold it in full' };
    }
    try {
      return { name, version, scorer: new Scorer(stored.model), info: stored.info };
    } catch (error) {
      return malformed(error);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function malformedVersion(key: string, failure: LoadFailure): FailedPreconditionError {
  return new FailedPreconditionError(
    `model_version ${key} is stored but malformed (${failure.detail})`,
  );
}

/** The log line that says the default model is ranked by the built-in heuristic. */
export const DEFAULT_FALLBACK_MESSAGE =
  'the default model has no loadable current version: the built-in heuristic ranks it';
