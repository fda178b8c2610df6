import { isMissing, OBJECTIVES, type LabeledExamples, type ObjectiveName } from '@feedmesh/models';
import type { FeatureRows, FeatureSource } from './feature-source.js';
import type { TrainingExample } from './training-example.js';

interface UserBatch {
  readonly rows: FeatureRows[];
  /** postId -> [batch index, row] */
  readonly rowOf: Map<string, [number, number]>;
}

/**
 * Fetches the features of every example, one user at a time (posts batched up to the
 * source's limit), and lays them out as one matrix: the user's features and the post's side
 * by side in each row, as the ranker sees them. Columns are the union of the names served,
 * in first-seen order; a column a response lacked is flagged missing in its rows.
 */
export async function hydrateExamples(
  examples: readonly TrainingExample[],
  source: FeatureSource,
  options: { concurrency?: number } = {},
): Promise<LabeledExamples> {
  const postsByUser = new Map<string, string[]>();
  for (const example of examples) {
    let posts = postsByUser.get(example.userId);
    if (posts === undefined) postsByUser.set(example.userId, (posts = []));
    posts.push(example.postId);
  }

  const batches = new Map<string, UserBatch>();
  const users = [...postsByUser.keys()];
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const userId = users[next++] as string;
      const unique = [...new Set(postsByUser.get(userId))];
      const batch: UserBatch = { rows: [], rowOf: new Map() };
      for (let from = 0; from < unique.length; from += source.maxPostsPerCall) {
        const chunk = unique.slice(from, from + source.maxPostsPerCall);
        const rows = await source.getFeatures(userId, chunk);
        chunk.forEach((postId, r) => batch.rowOf.set(postId, [batch.rows.length, r]));
        batch.rows.push(rows);
      }
      batches.set(userId, batch);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));

  const columns = new Map<string, number>();
  const addColumns = (names: readonly string[]) => {
    for (const name of names) if (!columns.has(name)) columns.set(name, columns.size);
  };
  for (const userId of users) {
    for (const rows of batches.get(userId)?.rows ?? []) {
      addColumns(rows.user.names);
      addColumns(rows.candidates.names);
    }
  }

  const width = columns.size;
  const values = new Float32Array(examples.length * width);
  const missing = new Uint8Array(Math.ceil(values.length / 8)).fill(0xff);
  const write = (row: number, name: string, value: number, flagged: boolean) => {
    const at = row * width + (columns.get(name) as number);
    values[at] = value;
    const byte = at >> 3;
    const mask = 1 << (at & 7);
    missing[byte] = flagged ? (missing[byte] as number) | mask : (missing[byte] as number) & ~mask;
  };

  examples.forEach((example, i) => {
    const batch = batches.get(example.userId) as UserBatch;
    const [b, r] = batch.rowOf.get(example.postId) as [number, number];
    const rows = batch.rows[b] as FeatureRows;
    const { user, candidates } = rows;
    user.names.forEach((name, k) => {
      write(i, name, user.values[k] ?? 0, isMissing(user.missing, k));
    });
    const base = r * candidates.names.length;
    candidates.names.forEach((name, c) => {
      write(i, name, candidates.values[base + c] ?? 0, isMissing(candidates.missing, base + c));
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
