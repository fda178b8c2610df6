import type { commonv1, candidatesv1, rankerv1 } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import {
  assign,
  EMPTY_EXPERIMENTS_CONFIG,
  ExperimentConfigWatcher,
  exposureOf,
  mergedOverrides,
  objectiveWeightsOf,
  sourceBudgetsOf,
  type ExperimentsConfig,
} from '@feedmesh/experiments';
import type { Logger } from '@feedmesh/service-kit';
import {
  mixerOverridesSchema,
  mixerParamsWith,
  type MixerOverrides,
  type MixerParams,
} from './selectors/mixer-params.js';

/** What the user's variants change in one GetFeed: absent fields keep the gateway's defaults. */
export interface FeedVariant {
  /** Logged with each impression and returned in GetFeedResponse.experiments. */
  readonly exposure: readonly commonv1.ExperimentAssignment[];
  readonly model: string | undefined;
  readonly objectiveWeights: readonly rankerv1.ObjectiveWeight[] | undefined;
  readonly sourceBudgets: readonly candidatesv1.SourceBudget[];
  mixer(defaults: MixerParams): MixerParams;
}

const CONTROL: FeedVariant = {
  exposure: [],
  model: undefined,
  objectiveWeights: undefined,
  sourceBudgets: [],
  mixer: (defaults) => defaults,
};

/**
 * The experiments the feed runs: the config file (EXPERIMENTS_FILE), reloaded when it changes,
 * and each user's variant of the pipeline. Beyond the file's own validation, every mixer
 * override must name a mixer parameter within its range, so a typo fails at load, not
 * silently per request. A bad edit keeps the config in force and is logged.
 */
export class FeedExperiments {
  private constructor(
    private config: ExperimentsConfig,
    private readonly watcher: ExperimentConfigWatcher | undefined,
  ) {}

  /** Without a file, every user gets the defaults. Throws ConfigError on an invalid file. */
  static async open(path: string | undefined, logger: Logger): Promise<FeedExperiments> {
    if (path === undefined) return new FeedExperiments(EMPTY_EXPERIMENTS_CONFIG, undefined);
    let experiments: FeedExperiments | undefined;
    const watcher = await openNamingVariable(path, {
      onReload: (config) => {
        try {
          checkMixerOverrides(config, path);
          experiments!.config = config;
          logger.info({ experiments: experimentKeys(config) }, 'experiment config reloaded');
        } catch (error) {
          logger.error({ err: error }, 'experiment config edit rejected; the previous one stays');
        }
      },
      onError: (error) =>
        logger.error({ err: error }, 'experiment config edit rejected; the previous one stays'),
    });
    try {
      checkMixerOverrides(watcher.current(), path);
    } catch (error) {
      watcher.close();
      throw error;
    }
    experiments = new FeedExperiments(watcher.current(), watcher);
    logger.info({ experiments: experimentKeys(experiments.config) }, 'experiment config loaded');
    return experiments;
  }

  /** The config in force (the last valid one). */
  current(): ExperimentsConfig {
    return this.config;
  }

  variantFor(userId: string): FeedVariant {
    const assignments = assign(userId, this.config);
    if (assignments.length === 0) return CONTROL;
    const overrides = mergedOverrides(assignments);
    // Every variant's mixer overrides passed mixerOverridesSchema when the config loaded, and
    // layers never override the same parameter: no need to parse again per request.
    const mixer = (overrides.mixer ?? {}) as MixerOverrides;
    return {
      exposure: exposureOf(assignments),
      model: overrides.model,
      objectiveWeights: overrides.objectiveWeights ? objectiveWeightsOf(overrides) : undefined,
      sourceBudgets: sourceBudgetsOf(overrides),
      mixer: (defaults) => mixerParamsWith(defaults, mixer),
    };
  }

  close(): void {
    this.watcher?.close();
  }
}

function checkMixerOverrides(config: ExperimentsConfig, source: string): void {
  config.layers.forEach((layer, l) =>
    layer.experiments.forEach((experiment, e) =>
      experiment.variants.forEach((variant, v) => {
        const parsed = mixerOverridesSchema.safeParse(variant.overrides.mixer ?? {});
        if (parsed.success) return;
        const issue = parsed.error.issues[0]!;
        const name = issue.path.length > 0 ? issue.path.join('.') : describeUnknown(issue);
        throw new ConfigError(
          `layers[${l}].experiments[${e}].variants[${v}].overrides.mixer.${name}`,
          `${issue.message} in ${source}`,
        );
      }),
    ),
  );
}

function describeUnknown(issue: { message: string; keys?: readonly string[] }): string {
  return issue.keys?.join(',') ?? '(unknown)';
}

function experimentKeys(config: ExperimentsConfig): string[] {
  return config.layers.flatMap((layer) => layer.experiments.map((e) => e.key));
}

/** ExperimentConfigWatcher.open, with a file that cannot be read refused naming EXPERIMENTS_FILE. */
async function openNamingVariable(
  path: string,
  options: Parameters<typeof ExperimentConfigWatcher.open>[1],
): Promise<ExperimentConfigWatcher> {
  try {
    return await ExperimentConfigWatcher.open(path, options);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('EXPERIMENTS_FILE', `cannot load ${path}: ${(error as Error).message}`);
  }
}
