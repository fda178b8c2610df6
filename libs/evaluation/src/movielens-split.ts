import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatRatings, readRatings, type Rating } from './movielens.js';

export type SplitProtocol = 'random' | 'temporal';

export interface SplitResult {
  readonly train: Rating[];
  readonly test: Rating[];
}

/**
 * The protocols of ../shared/data/README.md, per user:
 * - `random` (Microsoft Recommenders' stratified split): shuffle the user's ratings with the
 *   seed, keep the first 75% (rounded) for training, the rest for testing;
 * - `temporal`: order the user's ratings by time and test on the last 20%.
 * Rows keep their input order within each output.
 */
export function splitRatingRows(
  ratings: readonly Rating[],
  options: { protocol?: SplitProtocol; seed?: number } = {},
): SplitResult {
  const protocol = options.protocol ?? 'random';
  // Anything but 'random' would otherwise split by time, silently.
  if (protocol !== 'random' && protocol !== 'temporal') {
    throw new RangeError(
      `protocol must be random or temporal, got ${JSON.stringify(protocol as unknown)}`,
    );
  }
  const random = mulberry32(options.seed ?? 42);
  const byUser = new Map<string, number[]>();
  ratings.forEach((r, i) => {
    const rows = byUser.get(r.userId);
    if (rows) rows.push(i);
    else byUser.set(r.userId, [i]);
  });
  const inTest = new Uint8Array(ratings.length);
  for (const rows of byUser.values()) {
    if (protocol === 'random') {
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      }
      const trainCount = Math.round(0.75 * rows.length);
      for (const row of rows.slice(trainCount)) inTest[row] = 1;
    } else {
      rows.sort((a, b) => ratings[a]!.timestamp - ratings[b]!.timestamp || a - b);
      const trainCount = rows.length - Math.round(0.2 * rows.length);
      for (const row of rows.slice(trainCount)) inTest[row] = 1;
    }
  }
  return {
    train: ratings.filter((_, i) => inTest[i] === 0),
    test: ratings.filter((_, i) => inTest[i] === 1),
  };
}

export interface SplitRatingsOptions {
  /** A ratings CSV (this project's header or MovieLens's). */
  readonly ratings: string;
  /**
   * Where train.csv and test.csv are written. Created if missing, but not its parents: a
   * mistyped path fails with ENOENT instead of making a tree (and Node's recursive mkdir never
   * settles under /proc; callers that want `mkdir -p` use service-kit's makeDirectory first).
   */
  readonly outDir: string;
  readonly seed?: number;
  readonly protocol?: SplitProtocol;
}

export interface SplitRatingsReport {
  readonly protocol: SplitProtocol;
  readonly seed: number;
  readonly users: number;
  readonly train: number;
  readonly test: number;
  readonly trainPath: string;
  readonly testPath: string;
}

/** `feedmesh data split`: reads the ratings, splits them, writes train.csv and test.csv. */
export async function splitRatings(options: SplitRatingsOptions): Promise<SplitRatingsReport> {
  const protocol = options.protocol ?? 'random';
  const seed = options.seed ?? 42;
  const ratings = await readRatings(options.ratings);
  const { train, test } = splitRatingRows(ratings, { protocol, seed });
  await mkdir(options.outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const trainPath = join(options.outDir, 'train.csv');
  const testPath = join(options.outDir, 'test.csv');
  await writeFile(trainPath, formatRatings(train));
  await writeFile(testPath, formatRatings(test));
  return {
    protocol,
    seed,
    users: new Set(ratings.map((r) => r.userId)).size,
    train: train.length,
    test: test.length,
    trainPath,
    testPath,
  };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
