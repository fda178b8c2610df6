import { FailedPreconditionError, InvalidArgumentError } from '@feedmesh/errors';
import {
  featureNamesOf,
  objectivesOf,
  parseModelDocument,
  type ModelDocument,
} from './model-document.js';
import { HEURISTIC_MODEL_NAME } from './heuristic.model.js';
import type { ObjectiveName } from './objectives.js';

/** What the registry knows about one published version (everything but the parameters). */
export interface ModelVersion {
  readonly name: string;
  /** `v1`, `v2`, ...: assigned by the registry at publish, increasing per name. */
  readonly version: string;
  readonly family: string;
  /** When the training data was cut, ms since the epoch. */
  readonly trainedAtMs: number;
  readonly publishedAtMs: number;
  readonly featureNames: readonly string[];
  readonly objectives: readonly ObjectiveName[];
  /** Held-out metrics at training time (`auc_like`, `logloss_like`, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Free-form provenance: the trainer run, the data window, why it was (not) promoted. */
  readonly notes: Readonly<Record<string, string>>;
}

export interface StoredModel {
  readonly info: ModelVersion;
  readonly model: ModelDocument;
}

export interface PublishOptions {
  readonly trainedAtMs: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly notes?: Readonly<Record<string, string>>;
  /** Also point the name at the new version. Default false. */
  readonly promote?: boolean;
}

/** One move of a name's current pointer: by `promote`, or by `publish` with `promote: true`. */
export interface Promotion {
  readonly version: string;
  /** When the pointer moved to it, ms since the epoch (the registry's clock). */
  readonly promotedAtMs: number;
}

export interface PromoteOptions {
  /**
   * Compare-and-set: move the pointer only if it still names this version (`null`: only if
   * the name has no current version), else throw CurrentVersionChangedError. What a job that
   * compared its candidate with the current version passes, so that a version promoted by
   * someone else meanwhile is not replaced unseen. Absent: move it whatever it names (an
   * operator's promotion or rollback).
   */
  readonly expectedCurrent?: string | null;
}

/**
 * A name's current pointer names a version the registry no longer holds in full (its
 * metadata or its model document is gone): there is a current version, but nothing to load
 * or compare with. Repaired by promoting a stored version.
 */
export class DanglingCurrentVersionError extends FailedPreconditionError {
  constructor(
    readonly model: string,
    readonly version: string,
    readonly missing: 'metadata' | 'document',
  ) {
    super(
      `model ${model}: the current pointer names ${version}, whose ${missing === 'document' ? 'model document' : 'metadata'} is no longer stored; promote a stored version to repair it`,
    );
  }
}

/** A compare-and-set promotion found another current version than the one it expected. */
export class CurrentVersionChangedError extends FailedPreconditionError {
  constructor(
    readonly model: string,
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(
      `model ${model}: the current version is ${actual ?? 'none'}, not ${expected ?? 'none'} as the promotion expected; pointer left as it is`,
    );
  }
}

/**
 * Versions of the ranker's models. Versions are immutable once published; the only mutable
 * thing is each name's current pointer, which `promote` moves (to a newer version, or back to
 * an older one for a rollback). The ranker polls `currentVersions` and hot-reloads.
 */
export interface ModelRegistry {
  /**
   * Stores `model` as the name's next version. Throws InvalidArgumentError for a bad name or
   * a malformed model (field paths inside the document).
   */
  publish(name: string, model: ModelDocument, options: PublishOptions): Promise<ModelVersion>;
  /**
   * Points `name` at `version`. Throws NotFoundError when that version is not stored (in
   * full), and CurrentVersionChangedError when `options.expectedCurrent` is given and is not
   * what the name points to.
   */
  promote(name: string, version: string, options?: PromoteOptions): Promise<void>;
  /**
   * The version `name` points to; undefined when it has none. Throws
   * DanglingCurrentVersionError when it points to a version not stored in full: "none" would
   * let a job that promotes over nothing promote without a comparison.
   */
  current(name: string): Promise<ModelVersion | undefined>;
  /** Every name's current version, in one round trip: what the ranker polls. */
  currentVersions(): Promise<ReadonlyMap<string, string>>;
  /** Stored versions, of one name or all; by name, then newest first. */
  list(name?: string): Promise<ModelVersion[]>;
  get(name: string, version: string): Promise<StoredModel | undefined>;
  /**
   * The name's last promotions (PROMOTION_HISTORY_LENGTH at most), newest first: the first
   * is the current version, the next ones what was current before, which a process that
   * cannot load the current version may fall back to. A promotion refused (a version not
   * stored, a compare-and-set that lost) or to the version already current is not recorded.
   * A version in it may since have been pruned, except the one promoted before the current.
   */
  history(name: string): Promise<Promotion[]>;
}

export interface ModelRegistryOptions {
  /**
   * Versions kept per name; older ones are deleted at publish, except the current one and
   * the one promoted before it.
   */
  readonly maxVersionsPerName?: number;
  /** ms since the epoch; tests pass a fake. */
  readonly clock?: () => number;
}

export const DEFAULT_MAX_VERSIONS_PER_NAME = 20;

/** Promotions remembered per name. */
export const PROMOTION_HISTORY_LENGTH = 10;

const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function checkModelName(name: string, field = 'name'): string {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(field, 'must be 1-64 characters from [A-Za-z0-9_.:-]');
  }
  if (name === HEURISTIC_MODEL_NAME) {
    throw new InvalidArgumentError(field, `"${HEURISTIC_MODEL_NAME}" is the built-in model`);
  }
  return name;
}

export function versionNumber(version: string): number {
  const n = Number(version.slice(1));
  return version.startsWith('v') && Number.isInteger(n) ? n : -1;
}

/** Builds the metadata of a new version; validates the model on the way. */
export function describeVersion(
  name: string,
  version: string,
  model: ModelDocument,
  options: PublishOptions,
  publishedAtMs: number,
): ModelVersion {
  parseModelDocument(model);
  for (const [key, value] of Object.entries(options.metrics ?? {})) {
    if (typeof value !== 'number') {
      throw new InvalidArgumentError(`metrics.${key}`, 'must be a number');
    }
  }
  return {
    name,
    version,
    family: model.family,
    trainedAtMs: options.trainedAtMs,
    publishedAtMs,
    featureNames: featureNamesOf(model),
    objectives: objectivesOf(model),
    // JSON has no NaN: an undefined metric (AUC with one class) is left out rather than stored as null.
    metrics: Object.fromEntries(
      Object.entries(options.metrics ?? {}).filter(([, v]) => Number.isFinite(v)),
    ),
    notes: { ...(options.notes ?? {}) },
  };
}

export function byNameThenNewest(a: ModelVersion, b: ModelVersion): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return versionNumber(b.version) - versionNumber(a.version);
}

/**
 * Versions beyond the cap, oldest first. The versions in `kept` (the current one and the
 * one promoted before it) count toward the cap and are never pruned.
 */
export function versionsToPrune(
  versions: readonly string[],
  kept: readonly (string | undefined)[],
  max: number,
): string[] {
  const keptStored = versions.filter((v) => kept.includes(v)).length;
  const others = versions
    .filter((v) => !kept.includes(v))
    .sort((a, b) => versionNumber(b) - versionNumber(a));
  return others.slice(Math.max(0, max - keptStored)).reverse();
}

/**
 * The version that was current before the current one (`history` newest first): what a
 * process that cannot load the current version falls back to first, so it is never pruned.
 */
export function previousVersion(
  history: readonly Promotion[],
  current: string | undefined,
): string | undefined {
  return history.find((p) => p.version !== current)?.version;
}
