import { ColumnMappingCache } from './column-mapping.js';
import { anyMissing, type NamedMatrix, type NamedVector } from './feature-input.js';
import { LogisticPredictor } from './logistic.predictor.js';
import type { FeatureTransform, ModelDocument } from './model-document.js';
import type { ObjectiveName } from './objectives.js';
import { QuickScorerPredictor, fitsQuickScorer } from './quick-scorer.predictor.js';
import { TreeEnsemblePredictor } from './tree-ensemble.predictor.js';
import type { Predictor } from './predictor.js';

export interface ScoreRequest {
  /** Features shared by every row (the user's). */
  readonly user?: NamedVector | undefined;
  readonly candidates: NamedMatrix;
  /** Overrides the model's default weight for the objectives named; others are ignored. */
  readonly weights?: Readonly<Partial<Record<ObjectiveName, number>>> | undefined;
}

export interface Scores {
  readonly rows: number;
  readonly objectives: readonly ObjectiveName[];
  /** rows * objectives.length probabilities, row-major, in request row order. */
  readonly probabilities: Float32Array;
  /** Per row, the weighed sum of its probabilities. */
  readonly values: Float64Array;
}

/**
 * Inference for one model version. Build it once per version (compiling the family and
 * caching column layouts), then call `score` from any number of requests: it holds no
 * per-request state.
 *
 * Columns are matched to the model's features by name: a column the model lacks is ignored,
 * a feature found in neither the candidate columns nor the user vector takes its default, and
 * so does a value flagged missing or not finite.
 */
export class Scorer {
  readonly objectives: readonly ObjectiveName[];
  readonly featureNames: readonly string[];
  private readonly predictor: Predictor;
  private readonly mappings: ColumnMappingCache;
  private readonly defaults: Float64Array;
  private readonly log1p: Uint8Array;
  private readonly defaultWeights: Float64Array;

  constructor(readonly model: ModelDocument) {
    this.predictor = compile(model);
    this.objectives = this.predictor.objectives;
    this.featureNames = model.features.map((f) => f.name);
    this.mappings = new ColumnMappingCache(this.featureNames);
    // A null default (trees only) is a missing input: NaN, which each split routes.
    this.defaults = Float64Array.from(model.features, (f) => f.default ?? Number.NaN);
    this.log1p = Uint8Array.from(model.features, (f) => (f.transform === 'log1p' ? 1 : 0));
    this.defaultWeights = Float64Array.from(
      this.objectives,
      (objective) => model.defaultWeights[objective] ?? 0,
    );
  }

  /** Column layouts seen so far (bounded); exposed for tests and diagnostics. */
  get cachedLayouts(): number {
    return this.mappings.size;
  }

  weightsFor(overrides?: Readonly<Partial<Record<ObjectiveName, number>>>): Float64Array {
    const weights = Float64Array.from(this.defaultWeights);
    if (overrides === undefined) return weights;
    this.objectives.forEach((objective, k) => {
      const override = overrides[objective];
      if (override !== undefined) weights[k] = override;
    });
    return weights;
  }

  score(request: ScoreRequest): Scores {
    const { candidates } = request;
    const rows = candidates.rows;
    const width = this.featureNames.length;
    const columns = candidates.names.length;
    const k = this.objectives.length;
    const userNames = request.user?.names ?? [];
    const mapping = this.mappings.mappingFor(candidates.names, userNames);

    // Inputs not taken from candidate columns are the same for every row: fill them once.
    const shared = new Float64Array(width);
    for (let j = 0; j < width; j += 1) {
      if (mapping.candidateColumn[j] !== -1) continue;
      const u = mapping.userIndex[j] as number;
      let raw = this.defaults[j] as number;
      if (u !== -1 && request.user !== undefined) {
        const value = request.user.values[u];
        if (value !== undefined && Number.isFinite(value) && !bit(request.user.missing, u)) {
          raw = value;
        }
      }
      shared[j] = prepare(raw, this.log1p[j] === 1);
    }

    const inputs = new Float64Array(rows * width);
    const fromCandidates = mapping.candidateFeatures;
    const candidateColumn = mapping.candidateColumn;
    const source = candidates.values;
    const missing = anyMissing(candidates.missing);
    const defaults = this.defaults;
    const log1p = this.log1p;
    for (let r = 0; r < rows; r += 1) {
      const rowBase = r * columns;
      const inputBase = r * width;
      inputs.set(shared, inputBase);
      for (let f = 0; f < fromCandidates.length; f += 1) {
        const j = fromCandidates[f] as number;
        const at = rowBase + (candidateColumn[j] as number);
        let raw = source[at] as number;
        if (!Number.isFinite(raw) || (missing !== undefined && bit(missing, at))) {
          raw = defaults[j] as number;
        }
        inputs[inputBase + j] = log1p[j] === 1 ? signedLog1p(raw) : raw;
      }
    }

    const probabilities = new Float32Array(rows * k);
    this.predictor.predictRows(inputs, rows, probabilities);
    const values = new Float64Array(rows);
    const weights = this.weightsFor(request.weights);
    for (let r = 0; r < rows; r += 1) {
      let value = 0;
      for (let o = 0; o < k; o += 1) {
        value += (weights[o] as number) * (probabilities[r * k + o] as number);
      }
      values[r] = value;
    }
    return { rows, objectives: this.objectives, probabilities, values };
  }
}

function compile(model: ModelDocument): Predictor {
  switch (model.family) {
    case 'logistic':
      return new LogisticPredictor(model);
    case 'gbdt':
      // Trees of at most 32 leaves (every model the trainer writes) take QuickScorer.
      return fitsQuickScorer(model)
        ? new QuickScorerPredictor(model)
        : new TreeEnsemblePredictor(model);
  }
}

function bit(missing: Uint8Array | undefined, index: number): boolean {
  if (missing === undefined) return false;
  return (((missing[index >> 3] ?? 0) >> (index & 7)) & 1) === 1;
}

export function signedLog1p(x: number): number {
  return x >= 0 ? Math.log1p(x) : -Math.log1p(-x);
}

export function applyTransform(x: number, transform: FeatureTransform): number {
  return transform === 'log1p' ? signedLog1p(x) : x;
}

function prepare(raw: number, log: boolean): number {
  return log ? signedLog1p(raw) : raw;
}
