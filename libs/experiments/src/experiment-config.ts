import { CANDIDATE_SOURCES } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { bucketRanges, type BucketRange, type HashVersion } from './growthbook-hash.js';

/**
 * The experiment config file (DESIGN.md "Experiments"): layers, each a GrowthBook namespace
 * whose experiments are mutually exclusive; experiments with a seed, traffic coverage and
 * variants; variants that override pipeline parameters. Mounted from a ConfigMap and
 * reloaded by `ExperimentConfigWatcher`.
 *
 * ```yaml
 * layers:
 *   - id: ranking
 *     experiments:
 *       - key: feed-model-v2
 *         namespace: [0, 0.5]        # this experiment's share of the layer's users
 *         coverage: 1                # share of those that enter the experiment
 *         variants:
 *           - { name: control, weight: 0.5 }
 *           - name: treatment
 *             weight: 0.5
 *             overrides:
 *               model: feed-v2
 *               objectiveWeights: { like: 1, reblog: 2, hide: -4 }
 *               sourceBudgets: { fresh: { maxCandidates: 80 } }
 *               mixer: { newCreatorShare: 0.2 }
 * ```
 */

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const id = () => z.string().regex(ID, 'must be 1-64 characters from [A-Za-z0-9_.:-]');
const share = () => z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

export const OBJECTIVES = ['like', 'reblog', 'reply', 'follow', 'hide'] as const;
export type ObjectiveName = (typeof OBJECTIVES)[number];

const sourceBudgetSchema = z.strictObject({
  /** At most this many candidates from the source; 0 disables it. */
  maxCandidates: z.number().int().min(0).max(5_000),
  timeoutMs: z.number().int().min(1).max(10_000).optional(),
});

const overridesSchema = z.strictObject({
  /** Ranker model name (the registry's), e.g. `feed` or `feed-v2`. */
  model: id().optional(),
  /** Weight of each objective's probability in the feed's value. */
  objectiveWeights: z.partialRecord(z.enum(OBJECTIVES), z.number()).optional(),
  /** Per candidate source, keyed by source name ("following", "fresh", ...: CANDIDATE_SOURCES). */
  sourceBudgets: z
    .partialRecord(z.enum(CANDIDATE_SOURCES), sourceBudgetSchema, {
      // zod reports keys outside the enum as unrecognized_keys, which its types leave out here.
      error: (issue) => {
        const { code, keys = [] } = issue as { code: string; keys?: readonly string[] };
        if (code !== 'unrecognized_keys') return undefined;
        const names = keys.map((key) => `"${key}"`).join(', ');
        return `${names}: not a candidate source; the sources are ${CANDIDATE_SOURCES.join(', ')}`;
      },
    })
    .optional(),
  /** Named parameters of the mixer's selectors ("authorDiversityDecay", "newCreatorShare"). */
  mixer: z.record(id(), z.union([z.number(), z.boolean(), z.string().max(256)])).optional(),
});

const variantSchema = z.strictObject({
  name: id(),
  /** Share of the experiment's traffic; omitted on every variant means equal shares. */
  weight: share().optional(),
  overrides: overridesSchema.default({}),
});

const experimentSchema = z.strictObject({
  key: id(),
  /** Hash seed; defaults to the key. Changing it reshuffles the users. */
  seed: z.string().min(1).max(256).optional(),
  hashVersion: z.union([z.literal(1), z.literal(2)]).default(2),
  /** This experiment's slice [start, end) of the layer; defaults to the whole layer. */
  namespace: z.tuple([share(), share()]).optional(),
  /** Share of the users in the slice who enter the experiment. */
  coverage: share().default(1),
  /** When the experiment started and (optionally) ended, ISO 8601: the report's window. */
  startAt: z.iso.datetime({ offset: true }).optional(),
  endAt: z.iso.datetime({ offset: true }).optional(),
  variants: z.array(variantSchema).min(2, 'must list at least 2 variants').max(20),
});

const layerSchema = z.strictObject({
  id: id(),
  description: z.string().max(1_000).optional(),
  experiments: z.array(experimentSchema).max(100),
});

const configSchema = z
  .strictObject({
    layers: z.array(layerSchema).max(50),
  })
  .superRefine((config, ctx) => {
    for (const issue of crossFieldIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
  });

type RawConfig = z.infer<typeof configSchema>;

export type SourceBudgetOverride = z.infer<typeof sourceBudgetSchema>;

/** What a variant changes in the feed pipeline; anything absent keeps the pipeline default. */
export interface PipelineOverrides {
  readonly model?: string;
  readonly objectiveWeights?: Readonly<Partial<Record<ObjectiveName, number>>>;
  readonly sourceBudgets?: Readonly<Record<string, SourceBudgetOverride>>;
  readonly mixer?: Readonly<Record<string, number | boolean | string>>;
}

export interface VariantConfig {
  readonly name: string;
  readonly weight: number;
  readonly overrides: PipelineOverrides;
}

export interface ExperimentConfig {
  readonly key: string;
  readonly layer: string;
  readonly seed: string;
  readonly hashVersion: HashVersion;
  readonly namespace: readonly [start: number, end: number];
  readonly coverage: number;
  readonly startAtMs: number | undefined;
  readonly endAtMs: number | undefined;
  readonly variants: readonly VariantConfig[];
  /** Each variant's bucket range, in variant order (GrowthBook's getBucketRanges). */
  readonly ranges: readonly BucketRange[];
}

export interface LayerConfig {
  readonly id: string;
  readonly description: string | undefined;
  readonly experiments: readonly ExperimentConfig[];
}

export interface ExperimentsConfig {
  readonly layers: readonly LayerConfig[];
}

export interface ConfigIssue {
  /** Where in the file, e.g. `layers[0].experiments[1].variants[2].weight`. */
  readonly path: string;
  readonly problem: string;
}

/** The experiment config is invalid; `issues` lists every problem, `variable` the first path. */
export class ExperimentConfigError extends ConfigError {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    const [first, ...rest] = issues;
    const more = rest.map((issue) => `${issue.path}: ${issue.problem}`).join('; ');
    super(
      first?.path ?? source,
      `${first?.problem ?? 'invalid'}${rest.length > 0 ? ` (and ${rest.length} more: ${more})` : ''} in ${source}`,
    );
    this.name = 'ExperimentConfigError';
  }
}

export const EMPTY_EXPERIMENTS_CONFIG: ExperimentsConfig = Object.freeze({ layers: [] });

/** Parses and validates the YAML text of an experiment config; throws ExperimentConfigError. */
export function parseExperimentsConfig(
  text: string,
  source = 'experiments config',
): ExperimentsConfig {
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0];
      const path = where ? `line ${where.line} column ${where.col}` : '(document)';
      throw new ExperimentConfigError(source, [
        { path, problem: error.message.split('\n')[0] ?? 'invalid YAML' },
      ]);
    }
    throw error;
  }
  return validateExperimentsConfig(document ?? { layers: [] }, source);
}

/** Validates an already-parsed config object (YAML or JSON); throws ExperimentConfigError. */
export function validateExperimentsConfig(
  document: unknown,
  source = 'experiments config',
): ExperimentsConfig {
  const parsed = configSchema.safeParse(document);
  if (!parsed.success) {
    throw new ExperimentConfigError(
      source,
      parsed.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        problem: issue.message,
      })),
    );
  }
  return compile(parsed.data);
}

/** `['layers', 0, 'experiments', 1]` → `layers[0].experiments[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(document)';
}

interface RawIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Rules that span fields: unique names, weights that add up, disjoint slices, disjoint layers. */
function crossFieldIssues(config: RawConfig): RawIssue[] {
  const issues: RawIssue[] = [];
  const layerIds = new Map<string, number>();
  const experimentKeys = new Map<string, string>();
  // Which layer overrides each pipeline parameter: two layers changing the same parameter
  // would make one user's value depend on the order layers are applied in.
  const parameterOwners = new Map<string, string>();
  // Which experiment first hashes with each (seed, hash version): the same seed in two layers
  // puts every user at the same position in both, so the layers would split users alike.
  const seedOwners = new Map<string, { layer: string; where: string }>();
  // Which experiment first hashes with a version-1 seed of each length: see versionOneIssue.
  const versionOneLengths = new Map<number, { layer: string; where: string; seed: string }>();
  // Layers cut into slices hash every user with version 1 and the seed "__" + their id.
  const slicedLayers = config.layers.filter((layer) =>
    layer.experiments.some((experiment) => !isWholeLayer(experiment.namespace)),
  );

  config.layers.forEach((layer, l) => {
    const layerPath = ['layers', l];
    if (layerIds.has(layer.id)) {
      issues.push({
        path: [...layerPath, 'id'],
        message: `duplicates layers[${layerIds.get(layer.id)}].id "${layer.id}"`,
      });
    } else layerIds.set(layer.id, l);

    const slices: { range: readonly [number, number]; e: number }[] = [];
    layer.experiments.forEach((experiment, e) => {
      const path = [...layerPath, 'experiments', e];
      const where = formatPath(path);
      const previous = experimentKeys.get(experiment.key);
      if (previous) {
        issues.push({
          path: [...path, 'key'],
          message: `duplicates ${previous}.key "${experiment.key}"`,
        });
      } else experimentKeys.set(experiment.key, where);

      const seed = experiment.seed ?? experiment.key;
      const hashKey = `${experiment.hashVersion}:${seed}`;
      const seedOwner = seedOwners.get(hashKey);
      if (seedOwner === undefined) seedOwners.set(hashKey, { layer: layer.id, where });
      else if (seedOwner.layer !== layer.id) {
        issues.push({
          path: [...path, 'seed'],
          message: `hashes with seed "${seed}", as ${seedOwner.where} of layer "${seedOwner.layer}" does: the two experiments would split users the same way (each user on the same side of both); give each layer's experiments their own seed`,
        });
      }

      // A seed another layer shares is reported above; its length says nothing more.
      if (
        experiment.hashVersion === 1 &&
        (seedOwner === undefined || seedOwner.layer === layer.id)
      ) {
        const problem = versionOneIssue(seed, layer.id, experiment.namespace, {
          versionOneLengths,
          slicedLayers,
        });
        if (problem) issues.push({ path: [...path, 'seed'], message: problem });
        if (!versionOneLengths.has(seed.length)) {
          versionOneLengths.set(seed.length, { layer: layer.id, where, seed });
        }
      }

      const range = experiment.namespace ?? [0, 1];
      if (range[0] >= range[1]) {
        issues.push({ path: [...path, 'namespace'], message: 'start must be below end' });
      } else {
        const overlap = slices.find((s) => range[0] < s.range[1] && s.range[0] < range[1]);
        if (overlap) {
          issues.push({
            path: [...path, 'namespace'],
            message: `overlaps layers[${l}].experiments[${overlap.e}].namespace: experiments of one layer must not share users`,
          });
        }
        slices.push({ range, e });
      }

      if (
        experiment.startAt &&
        experiment.endAt &&
        Date.parse(experiment.endAt) <= Date.parse(experiment.startAt)
      ) {
        issues.push({ path: [...path, 'endAt'], message: 'must be after startAt' });
      }

      const names = new Map<string, number>();
      experiment.variants.forEach((variant, v) => {
        const seen = names.get(variant.name);
        if (seen !== undefined) {
          issues.push({
            path: [...path, 'variants', v, 'name'],
            message: `duplicates variants[${seen}].name "${variant.name}"`,
          });
        } else names.set(variant.name, v);
        for (const parameter of overriddenParameters(variant.overrides)) {
          const owner = parameterOwners.get(parameter);
          if (owner !== undefined && owner !== layer.id) {
            issues.push({
              path: [...path, 'variants', v, 'overrides'],
              message: `overrides ${parameter}, which layer "${owner}" already overrides: a parameter belongs to one layer`,
            });
          } else parameterOwners.set(parameter, layer.id);
        }
      });

      const weighted = experiment.variants.filter((variant) => variant.weight !== undefined).length;
      if (weighted !== 0 && weighted !== experiment.variants.length) {
        const missing = experiment.variants.findIndex((variant) => variant.weight === undefined);
        issues.push({
          path: [...path, 'variants', missing, 'weight'],
          message: 'is required when another variant sets a weight',
        });
      } else if (weighted !== 0) {
        const total = experiment.variants.reduce((sum, variant) => sum + (variant.weight ?? 0), 0);
        // GrowthBook ignores weights outside [0.99, 1.01]; we refuse them instead of silently
        // splitting evenly.
        if (Math.abs(total - 1) > 0.001) {
          issues.push({
            path: [...path, 'variants'],
            message: `weights must add up to 1, they add up to ${round(total)}`,
          });
        }
      }
    });
  });
  return issues;
}

function isWholeLayer(namespace: readonly [number, number] | undefined): boolean {
  return namespace === undefined || (namespace[0] === 0 && namespace[1] === 1);
}

/**
 * Why a version-1 seed would not split its users independently, or undefined. Version 1 is
 * fnv1a32(id + seed) % 1000: two seeds of one length extend the same hash of the id by as many
 * characters, and the results differ by one of a few offsets, so equal-length seeds hashing
 * the same users are correlated (over `user-0`..`user-99999`, seeds "x" and "y" put 23.6% of
 * users on the same side of a 50/50 split, not 50%). That matters for another layer's
 * version-1 seed (the two experiments' variants overlap unevenly), for the namespace seed
 * "__<id>" of the experiment's own layer when it takes a slice (its variants do not split the
 * slice by their weights: a sample ratio mismatch), and for that of another sliced layer (its
 * variants hold unequal shares of that layer's experiments). Version-1 seeds of one layer
 * hash disjoint slices, and namespace seeds only choose slices, so neither is compared.
 */
function versionOneIssue(
  seed: string,
  layer: string,
  namespace: readonly [number, number] | undefined,
  seen: {
    readonly versionOneLengths: ReadonlyMap<number, { layer: string; where: string; seed: string }>;
    readonly slicedLayers: readonly { readonly id: string }[];
  },
): string | undefined {
  const length = `${seed.length} character${seed.length === 1 ? '' : 's'}`;
  const fix = 'use hashVersion 2, or a seed of another length';
  const owner = seen.versionOneLengths.get(seed.length);
  if (owner !== undefined && owner.layer !== layer) {
    return `hashes with version 1 and a seed of ${length} ("${seed}"), as ${owner.where} of layer "${owner.layer}" does ("${owner.seed}"): version-1 hashes of seeds of equal length are correlated, so the two experiments would not split users independently; ${fix}`;
  }
  for (const sliced of seen.slicedLayers) {
    const namespaceSeed = `__${sliced.id}`;
    if (namespaceSeed.length !== seed.length) continue;
    if (sliced.id === layer && !isWholeLayer(namespace)) {
      return `hashes with version 1 and a seed of ${length} ("${seed}"), as long as the namespace seed "${namespaceSeed}" that picks its slice of layer "${layer}": version-1 hashes of seeds of equal length are correlated, so its variants would not split the slice by their weights; ${fix}`;
    }
    if (sliced.id !== layer) {
      return `hashes with version 1 and a seed of ${length} ("${seed}"), as long as the namespace seed "${namespaceSeed}" that cuts layer "${sliced.id}" into slices: version-1 hashes of seeds of equal length are correlated, so its variants would hold unequal shares of that layer's experiments; ${fix}`;
    }
  }
  return undefined;
}

function overriddenParameters(overrides: z.infer<typeof overridesSchema>): string[] {
  const out: string[] = [];
  if (overrides.model !== undefined) out.push('model');
  for (const key of Object.keys(overrides.objectiveWeights ?? {}))
    out.push(`objectiveWeights.${key}`);
  for (const key of Object.keys(overrides.sourceBudgets ?? {})) out.push(`sourceBudgets.${key}`);
  for (const key of Object.keys(overrides.mixer ?? {})) out.push(`mixer.${key}`);
  return out;
}

function compile(raw: RawConfig): ExperimentsConfig {
  const layers = raw.layers.map((layer): LayerConfig => {
    const experiments = layer.experiments.map((experiment): ExperimentConfig => {
      const weights = experiment.variants.every((variant) => variant.weight !== undefined)
        ? experiment.variants.map((variant) => variant.weight ?? 0)
        : undefined;
      const ranges = bucketRanges(experiment.variants.length, experiment.coverage, weights);
      return deepFreeze({
        key: experiment.key,
        layer: layer.id,
        seed: experiment.seed ?? experiment.key,
        hashVersion: experiment.hashVersion,
        namespace: experiment.namespace ?? [0, 1],
        coverage: experiment.coverage,
        startAtMs: experiment.startAt ? Date.parse(experiment.startAt) : undefined,
        endAtMs: experiment.endAt ? Date.parse(experiment.endAt) : undefined,
        variants: experiment.variants.map((variant, v) => ({
          name: variant.name,
          weight: weights?.[v] ?? 1 / experiment.variants.length,
          overrides: variant.overrides,
        })),
        ranges,
      });
    });
    return deepFreeze({ id: layer.id, description: layer.description, experiments });
  });
  return deepFreeze({ layers });
}

/** Finds an experiment by key, or undefined. */
export function findExperiment(
  config: ExperimentsConfig,
  key: string,
): ExperimentConfig | undefined {
  for (const layer of config.layers) {
    const found = layer.experiments.find((experiment) => experiment.key === key);
    if (found) return found;
  }
  return undefined;
}

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
