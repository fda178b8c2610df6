import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { isMissing } from './feature-input.js';
import type { LabeledExamples } from './labeled-examples.js';
import {
  MODEL_FORMAT,
  type FeatureSpec,
  type LogisticModelDocument,
  type LogisticObjective,
} from './model-document.js';
import { DEFAULT_OBJECTIVE_WEIGHTS, OBJECTIVES, type ObjectiveName } from './objectives.js';
import { sigmoid } from './predictor.js';
import { signedLog1p } from './scorer.js';

export interface LogisticTrainingOptions {
  /** Objectives to fit; default: every objective the examples have labels for. */
  readonly objectives?: readonly ObjectiveName[];
  /** L2 penalty on the standardized coefficients (not the intercept). Default 1e-3. */
  readonly l2?: number;
  /** Newton iterations per objective. Default 30. */
  readonly maxIterations?: number;
  /** Stop when the penalized loss improves by less than this. Default 1e-9. */
  readonly tolerance?: number;
  /**
   * An objective with fewer positives (or negatives) than this gets a constant model, its
   * smoothed base rate, instead of coefficients fitted to a handful of examples. Default 5.
   */
  readonly minPositives?: number;
  /**
   * Features fed through signed log1p. Default `auto`: every non-negative feature whose
   * largest value exceeds 10 (counts, followers, ages), where a linear term would let a few
   * huge values dominate.
   */
  readonly log1p?: 'auto' | readonly string[];
  readonly defaultWeights?: Readonly<Partial<Record<ObjectiveName, number>>>;
  readonly description?: string;
}

export interface ObjectiveFit {
  readonly objective: ObjectiveName;
  readonly positives: number;
  readonly examples: number;
  /** True when too few positives or negatives made it a base-rate model. */
  readonly constant: boolean;
  readonly iterations: number;
  readonly converged: boolean;
  /** Final mean log loss on the training rows, penalty excluded. */
  readonly trainingLogLoss: number;
}

export interface LogisticTrainingResult {
  readonly model: LogisticModelDocument;
  readonly fits: readonly ObjectiveFit[];
}

/**
 * Fits one L2-regularized logistic regression per objective by Newton's method (IRLS) on
 * standardized features. Newton needs no learning rate and no shuffling, so the result is a
 * pure function of the data: the same examples always give the same model.
 *
 * Missing and non-finite values are replaced by the feature's default (its training mean in
 * transformed space), the same substitution the Scorer makes at serving time.
 */
export function trainLogistic(
  examples: LabeledExamples,
  options: LogisticTrainingOptions = {},
): LogisticTrainingResult {
  const l2 = options.l2 ?? 1e-3;
  const minPositives = options.minPositives ?? 5;
  const objectives =
    options.objectives ?? OBJECTIVES.filter((objective) => examples.labels[objective]);
  if (objectives.length === 0) throw new Error('trainLogistic: no labelled objective to fit');
  const prepared = prepareFeatures(examples, options.log1p ?? 'auto');

  const fits: ObjectiveFit[] = [];
  const fitted: LogisticObjective[] = [];
  for (const objective of objectives) {
    const labels = examples.labels[objective];
    if (labels === undefined) throw new Error(`trainLogistic: no labels for ${objective}`);
    const result = fitObjective(prepared, labels, {
      l2,
      minPositives,
      maxIterations: options.maxIterations ?? 30,
      tolerance: options.tolerance ?? 1e-9,
    });
    fits.push({ objective, ...result.fit });
    fitted.push({ objective, intercept: result.intercept, coefficients: result.coefficients });
  }

  const weights = options.defaultWeights ?? DEFAULT_OBJECTIVE_WEIGHTS;
  const defaultWeights: Partial<Record<ObjectiveName, number>> = {};
  for (const objective of objectives) defaultWeights[objective] = weights[objective] ?? 0;

  const model: LogisticModelDocument = {
    format: MODEL_FORMAT,
    family: 'logistic',
    ...(options.description !== undefined ? { description: options.description } : {}),
    features: prepared.features,
    normalization: { mean: Array.from(prepared.mean), scale: Array.from(prepared.scale) },
    objectives: fitted,
    defaultWeights,
  };
  return { model, fits };
}

interface PreparedFeatures {
  readonly features: FeatureSpec[];
  readonly rows: number;
  readonly width: number;
  /** rows x width standardized inputs. */
  readonly z: Float64Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

function prepareFeatures(
  examples: LabeledExamples,
  log1p: 'auto' | readonly string[],
): PreparedFeatures {
  const rows = examples.rows;
  const width = examples.names.length;
  const present = (i: number) => {
    const v = examples.values[i] as number;
    return Number.isFinite(v) && !isMissing(examples.missing, i);
  };

  const transforms = examples.names.map((name, j) => {
    if (log1p !== 'auto') return log1p.includes(name);
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < rows; r += 1) {
      const i = r * width + j;
      if (!present(i)) continue;
      const v = examples.values[i] as number;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return min >= 0 && max > 10;
  });

  const z = new Float64Array(rows * width);
  const mean = new Float64Array(width);
  const scale = new Float64Array(width);
  const features: FeatureSpec[] = [];
  for (let j = 0; j < width; j += 1) {
    const log = transforms[j] === true;
    let sum = 0;
    let count = 0;
    for (let r = 0; r < rows; r += 1) {
      const i = r * width + j;
      if (!present(i)) continue;
      const v = examples.values[i] as number;
      sum += log ? signedLog1p(v) : v;
      count += 1;
    }
    // The default sits at the transformed mean, so a feature a request lacks adds nothing.
    const fill = count > 0 ? sum / count : 0;
    for (let r = 0; r < rows; r += 1) {
      const i = r * width + j;
      const v = examples.values[i] as number;
      z[i] = present(i) ? (log ? signedLog1p(v) : v) : fill;
    }
    let squares = 0;
    for (let r = 0; r < rows; r += 1) squares += ((z[r * width + j] as number) - fill) ** 2;
    const std = rows > 1 ? Math.sqrt(squares / rows) : 0;
    mean[j] = fill;
    scale[j] = std > 1e-12 ? std : 1;
    for (let r = 0; r < rows; r += 1) {
      const i = r * width + j;
      z[i] = ((z[i] as number) - fill) / (scale[j] as number);
    }
    features.push({
      name: examples.names[j] as string,
      default: log ? inverseSignedLog1p(fill) : fill,
      transform: log ? 'log1p' : 'identity',
    });
  }
  return { features, rows, width, z, mean, scale };
}

function inverseSignedLog1p(y: number): number {
  return y >= 0 ? Math.expm1(y) : -Math.expm1(-y);
}

interface FitSettings {
  readonly l2: number;
  readonly minPositives: number;
  readonly maxIterations: number;
  readonly tolerance: number;
}

function fitObjective(
  data: PreparedFeatures,
  labels: Uint8Array,
  settings: FitSettings,
): { intercept: number; coefficients: number[]; fit: Omit<ObjectiveFit, 'objective'> } {
  const { rows, width, z } = data;
  let positives = 0;
  for (let r = 0; r < rows; r += 1) positives += labels[r] ?? 0;
  const negatives = rows - positives;
  const baseRate = (positives + 0.5) / (rows + 1);
  const baseLogit = Math.log(baseRate / (1 - baseRate));

  if (positives < settings.minPositives || negatives < settings.minPositives) {
    const p = sigmoid(baseLogit);
    const loss = rows === 0 ? 0 : -(positives * Math.log(p) + negatives * Math.log(1 - p)) / rows;
    return {
      intercept: baseLogit,
      coefficients: new Array<number>(width).fill(0),
      fit: {
        positives,
        examples: rows,
        constant: true,
        iterations: 0,
        converged: true,
        trainingLogLoss: loss,
      },
    };
  }

  // beta[0] is the intercept, beta[1 + j] the coefficient of feature j.
  const size = width + 1;
  let beta = new Float64Array(size);
  beta[0] = baseLogit;
  let loss = penalizedLoss(data, labels, beta, settings.l2);
  let iterations = 0;
  let converged = false;
  const p = new Float64Array(rows);

  while (iterations < settings.maxIterations) {
    iterations += 1;
    const gradient = new Float64Array(size);
    const hessian = new Float64Array(size * size);
    for (let r = 0; r < rows; r += 1) {
      const pr = sigmoid(linear(z, r, width, beta));
      p[r] = pr;
      const residual = pr - (labels[r] ?? 0);
      const w = pr * (1 - pr);
      gradient[0] = (gradient[0] as number) + residual;
      hessian[0] = (hessian[0] as number) + w;
      const base = r * width;
      for (let a = 0; a < width; a += 1) {
        const za = z[base + a] as number;
        gradient[1 + a] = (gradient[1 + a] as number) + residual * za;
        const wza = w * za;
        hessian[1 + a] = (hessian[1 + a] as number) + wza;
        const rowA = (1 + a) * size;
        for (let b = a; b < width; b += 1) {
          hessian[rowA + 1 + b] = (hessian[rowA + 1 + b] as number) + wza * (z[base + b] as number);
        }
      }
    }
    const h = new Matrix(size, size);
    for (let a = 0; a < size; a += 1) {
      for (let b = a; b < size; b += 1) {
        let value = (hessian[a * size + b] as number) / rows;
        if (a === b) value += a === 0 ? 1e-10 : settings.l2;
        h.set(a, b, value);
        h.set(b, a, value);
      }
    }
    const g = new Matrix(size, 1);
    for (let a = 0; a < size; a += 1) {
      const penalty = a === 0 ? 0 : settings.l2 * (beta[a] as number);
      g.set(a, 0, (gradient[a] as number) / rows + penalty);
    }
    const step = newtonStep(h, g);

    // Halve the step until the loss goes down: Newton can overshoot far from the optimum.
    let t = 1;
    let next = beta;
    let nextLoss = loss;
    for (let halving = 0; halving < 30; halving += 1) {
      const candidate = new Float64Array(size);
      for (let a = 0; a < size; a += 1) candidate[a] = (beta[a] as number) - t * step[a]!;
      const candidateLoss = penalizedLoss(data, labels, candidate, settings.l2);
      if (candidateLoss <= loss) {
        next = candidate;
        nextLoss = candidateLoss;
        break;
      }
      t /= 2;
    }
    const improvement = loss - nextLoss;
    beta = next;
    loss = nextLoss;
    if (improvement < settings.tolerance) {
      converged = true;
      break;
    }
  }

  return {
    intercept: beta[0] as number,
    coefficients: Array.from(beta.subarray(1)),
    fit: {
      positives,
      examples: rows,
      constant: false,
      iterations,
      converged,
      trainingLogLoss: meanLogLoss(data, labels, beta),
    },
  };
}

function newtonStep(h: Matrix, g: Matrix): number[] {
  const cholesky = new CholeskyDecomposition(h);
  const solution = cholesky.isPositiveDefinite() ? cholesky.solve(g) : solve(h, g, true);
  return solution.getColumn(0);
}

function linear(z: Float64Array, r: number, width: number, beta: Float64Array): number {
  let logit = beta[0] as number;
  const base = r * width;
  for (let j = 0; j < width; j += 1) logit += (beta[1 + j] as number) * (z[base + j] as number);
  return logit;
}

function meanLogLoss(data: PreparedFeatures, labels: Uint8Array, beta: Float64Array): number {
  let total = 0;
  for (let r = 0; r < data.rows; r += 1) {
    const logit = linear(data.z, r, data.width, beta);
    // log(1 + e^x) - y*x, computed without overflow.
    const softplus = logit > 0 ? logit + Math.log1p(Math.exp(-logit)) : Math.log1p(Math.exp(logit));
    total += softplus - (labels[r] ?? 0) * logit;
  }
  return data.rows === 0 ? 0 : total / data.rows;
}

function penalizedLoss(
  data: PreparedFeatures,
  labels: Uint8Array,
  beta: Float64Array,
  l2: number,
): number {
  let penalty = 0;
  for (let a = 1; a < beta.length; a += 1) penalty += (beta[a] as number) ** 2;
  return meanLogLoss(data, labels, beta) + (l2 / 2) * penalty;
}
