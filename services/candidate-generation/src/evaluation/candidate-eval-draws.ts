import { InvalidArgumentError } from '@feedmesh/errors';
import {
  runCandidateEval,
  type CandidateEvalOptions,
  type CandidateEvalReport,
} from './candidate-eval.js';

export interface CandidateEvalDrawsOptions extends Omit<
  CandidateEvalOptions,
  'train' | 'test' | 'trainPath' | 'testPath' | 'seed' | 'listsPath'
> {
  /** The MovieLens folder each draw splits (ratings.csv, movies.csv). */
  readonly dataDir: string;
  /** One draw of the split per seed, in this order; at least two, each once. */
  readonly seeds: readonly number[];
}

/** A figure over the draws. `sd` is the sample standard deviation (n − 1). */
export interface DrawSpread {
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly max: number;
}

export interface CandidateEvalDrawsReport {
  readonly seeds: readonly number[];
  readonly ks: readonly number[];
  /** Per source and for the union, per K: the spread of recall@K over the draws. */
  readonly recall: Readonly<Record<string, Readonly<Record<string, DrawSpread>>>>;
  /** Each draw's own report, in the order of `seeds`. */
  readonly draws: readonly (CandidateEvalReport & { readonly seed: number })[];
}

/**
 * `runCandidateEval` on several random draws of the same protocol (../shared/data/README.md:
 * "another draw moves these by about 0.01"): one split of `dataDir` per seed, each evaluated
 * whole, then recall@K per source and for the union as mean, standard deviation and range
 * over the draws. A target is met on the data set, not on a lucky draw, when the mean meets it.
 */
export async function runCandidateEvalDraws(
  options: CandidateEvalDrawsOptions,
): Promise<CandidateEvalDrawsReport> {
  const { seeds, progress, ...shared } = options;
  if (seeds.length < 2) {
    throw new InvalidArgumentError('seeds', `give two seeds or more, not ${seeds.length}`);
  }
  const repeated = seeds.find((seed, i) => seeds.indexOf(seed) !== i);
  if (repeated !== undefined) {
    throw new InvalidArgumentError('seeds', `seed ${repeated} is given twice: the same draw`);
  }
  const draws: (CandidateEvalReport & { readonly seed: number })[] = [];
  for (const [i, seed] of seeds.entries()) {
    progress?.(`draw ${i + 1} of ${seeds.length} (seed ${seed})`);
    const report = await runCandidateEval({
      ...shared,
      seed,
      ...(progress ? { progress } : {}),
    });
    draws.push({ ...report, seed });
  }
  const first = draws[0]!;
  const recall: Record<string, Record<string, DrawSpread>> = {};
  for (const [name, byK] of Object.entries(first.recall)) {
    recall[name] = {};
    for (const k of Object.keys(byK)) {
      recall[name][k] = spreadOf(draws.map((draw) => draw.recall[name]![k]!));
    }
  }
  return { seeds: [...seeds], ks: first.ks, recall, draws };
}

function spreadOf(values: readonly number[]): DrawSpread {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    mean: round(mean),
    sd: round(Math.sqrt(variance)),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}
