import {
  isMissing,
  OBJECTIVES,
  setMissing,
  type LabeledExamples,
  type ObjectiveName,
} from '@feedmesh/models';
import type { FeatureRequestAt, FeatureRows, FeatureSource } from './feature-source.js';
import type { TrainingExample } from './training-example.js';

/** Where each example's features came from. */
export interface FeatureProvenance {
  /** Logged with the impression under the schema the store serves now: what the ranker saw. */
  readonly logged: number;
  /** Rebuilt as of the example's time (`featuresAtMs` if set) by the source (`getFeaturesAsOf`). */
  readonly pointInTime: number;
  /** Today's features (the source cannot rebuild the past): they leak what came after. */
  readonly current: number;
}

export interface HydratedExamples extends LabeledExamples {
  readonly provenance: FeatureProvenance;
}

/** Values for one example, in the layout of `names`. */
interface ExampleRow {
  readonly names: readonly string[];
  readonly values: ArrayLike<number>;
  readonly missing: Uint8Array | undefined;
  /** Where this example's values start in `values` (and `missing`). */
  readonly offset: number;
}

/**
 * The features of every example, laid out as one matrix: the user's features and the post's
 * side by side in each row, as the ranker sees them. Columns are the union of the names
 * served, in first-seen order; a column an example's features lacked is flagged missing.
 *
 * Each example takes the best features it can have:
 * 1. the values logged with its impression, when their schema is the one the store serves now
 *    (learned from one GetFeatures call, whose `names` name them), flagged missing where the
 *    impression's `feature_missing` says the ranker used the model's default;
 * 2. else, features rebuilt as of the example's time, when the source can (point-in-time;
 *    as of its `featuresAtMs` when set, before an engagement stamped ahead of its impression);
 * 3. else, today's features, fetched one user at a time (posts batched up to the source's
 *    limit): counts then include the very engagement being predicted.
 */
export async function hydrateExamples(
  examples: readonly TrainingExample[],
  source: FeatureSource,
  options: { concurrency?: number } = {},
): Promise<HydratedExamples> {
  const rows = new Array<ExampleRow | undefined>(examples.length);
  const logged = await useLoggedValues(examples, source, rows);
  const rest = examples.flatMap((example, i) => (rows[i] === undefined ? [i] : []));
  let pointInTime = 0;
  let current = 0;
  if (rest.length > 0 && source.getFeaturesAsOf !== undefined) {
    pointInTime = await fetchAsOf(examples, rest, source, rows);
  } else if (rest.length > 0) {
    current = await fetchCurrent(examples, rest, source, rows, options.concurrency ?? 4);
  }
  return {
    ...layOut(examples, rows as ExampleRow[]),
    provenance: { logged, pointInTime, current },
  };
}

/**
 * Fills the rows of examples whose logged values are in the store's current schema; returns
 * how many. One GetFeatures call (for the first such example) tells the schema and its names.
 */
async function useLoggedValues(
  examples: readonly TrainingExample[],
  source: FeatureSource,
  rows: (ExampleRow | undefined)[],
): Promise<number> {
  const first = examples.find((example) => example.served !== undefined);
  if (first === undefined) return 0;
  const probe = await source.getFeatures(first.userId, [first.postId]);
  if (probe.schema === undefined || probe.schema === '') return 0;
  const names = [...probe.user.names, ...probe.candidates.names];
  let used = 0;
  examples.forEach((example, i) => {
    const served = example.served;
    if (served === undefined || served.schema !== probe.schema) return;
    if (served.values.length !== names.length) return;
    const missing =
      served.missing !== undefined && served.missing.length > 0 ? served.missing : undefined;
    rows[i] = { names, values: served.values, missing, offset: 0 };
    used += 1;
  });
  return used;
}

/** One point-in-time request per (user, instant): the examples of one impression batch share it. */
async function fetchAsOf(
  examples: readonly TrainingExample[],
  indexes: readonly number[],
  source: FeatureSource,
  rows: (ExampleRow | undefined)[],
): Promise<number> {
  const groups = new Map<
    string,
    { request: { userId: string; atMs: number; postIds: string[] }; members: number[] }
  >();
  for (const i of indexes) {
    const { userId, postId } = examples[i]!;
    const atMs = examples[i]!.featuresAtMs ?? examples[i]!.atMs;
    const key = `${userId}\u0000${atMs}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { request: { userId, atMs, postIds: [] }, members: [] };
      groups.set(key, group);
    }
    group.request.postIds.push(postId);
    group.members.push(i);
  }
  const requests: FeatureRequestAt[] = [...groups.values()].map((group) => group.request);
  const answers = await source.getFeaturesAsOf!(requests);
  [...groups.values()].forEach(({ members }, g) => {
    const answer = answers[g];
    if (answer === undefined)
      throw new Error(`the source answered ${answers.length} of ${requests.length} requests`);
    members.forEach((i, r) => (rows[i] = rowOf(answer, r)));
  });
  return indexes.length;
}

/** Today's features, one user at a time, posts batched up to the source's limit. */
async function fetchCurrent(
  examples: readonly TrainingExample[],
  indexes: readonly number[],
  source: FeatureSource,
  rows: (ExampleRow | undefined)[],
  concurrency: number,
): Promise<number> {
  const byUser = new Map<string, number[]>();
  for (const i of indexes) {
    const { userId } = examples[i]!;
    let members = byUser.get(userId);
    if (members === undefined) byUser.set(userId, (members = []));
    members.push(i);
  }
  const users = [...byUser.keys()];
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const userId = users[next++]!;
      const members = byUser.get(userId)!;
      const unique = [...new Set(members.map((i) => examples[i]!.postId))];
      const rowOfPost = new Map<string, ExampleRow>();
      for (let from = 0; from < unique.length; from += source.maxPostsPerCall) {
        const chunk = unique.slice(from, from + source.maxPostsPerCall);
        const answer = await source.getFeatures(userId, chunk);
        chunk.forEach((postId, r) => rowOfPost.set(postId, rowOf(answer, r)));
      }
      for (const i of members) rows[i] = rowOfPost.get(examples[i]!.postId);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return indexes.length;
}

/** Row `r` of an answer as an example's values: the user's features, then the post's. */
function rowOf(answer: FeatureRows, r: number): ExampleRow {
  const { user, candidates } = answer;
  const width = candidates.names.length;
  const values = new Float64Array(user.names.length + width);
  const missing = new Uint8Array(Math.ceil(values.length / 8));
  user.names.forEach((_, k) => {
    values[k] = user.values[k] ?? 0;
    if (isMissing(user.missing, k)) setMissing(missing, k);
  });
  for (let c = 0; c < width; c++) {
    const at = user.names.length + c;
    values[at] = candidates.values[r * width + c] ?? 0;
    if (isMissing(candidates.missing, r * width + c)) setMissing(missing, at);
  }
  return { names: [...user.names, ...candidates.names], values, missing, offset: 0 };
}

/** Every example's row in the union of columns; a column a row lacks is flagged missing. */
function layOut(
  examples: readonly TrainingExample[],
  rows: readonly ExampleRow[],
): LabeledExamples {
  const columns = new Map<string, number>();
  // Rows mostly share a handful of layouts: place each layout's names once.
  const layouts = new Map<string, number[]>();
  const positionsOf = (names: readonly string[]) => {
    const key = names.join('\u0000');
    let positions = layouts.get(key);
    if (positions === undefined) {
      positions = names.map((name) => {
        if (!columns.has(name)) columns.set(name, columns.size);
        return columns.get(name)!;
      });
      layouts.set(key, positions);
    }
    return positions;
  };
  const placed = rows.map((row) => positionsOf(row.names));
  const width = columns.size;
  const values = new Float32Array(examples.length * width);
  const missing = new Uint8Array(Math.ceil(values.length / 8)).fill(0xff);
  rows.forEach((row, i) => {
    placed[i]!.forEach((column, k) => {
      const at = i * width + column;
      values[at] = row.values[row.offset + k] ?? 0;
      if (!isMissing(row.missing, row.offset + k)) missing[at >> 3]! &= ~(1 << (at & 7));
    });
  });
  // Bits past the last value are padding; clear them so the set is canonical.
  for (let at = values.length; at < missing.length * 8; at += 1) {
    missing[at >> 3] = (missing[at >> 3] as number) & ~(1 << (at & 7));
  }
  const labels: Partial<Record<ObjectiveName, Uint8Array>> = {};
  for (const objective of OBJECTIVES) {
    labels[objective] = Uint8Array.from(examples, (e) => e.labels[objective]);
  }
  return { names: [...columns.keys()], rows: examples.length, values, missing, labels };
}
