import { featuresv1 } from '@feedmesh/contracts';
import {
  CandidateMatrixBuilder,
  type PackedMatrix,
  type PackedVector,
} from './candidate-matrix.js';
import { userColumns } from './feature-columns.js';
import { INTERESTS } from './feature-registry.js';
import { featureSchema } from './feature-schema.js';
import type { CandidateStates, UserStates } from './feature-store.js';
import { LAYOUTS } from './state-layout.js';

const users = userColumns(featureSchema.user);
const candidates = new CandidateMatrixBuilder(featureSchema);

export function userVector(state: Float64Array | undefined, nowMs: number): PackedVector {
  const values = new Float32Array(users.size);
  const missing = new Uint8Array(Math.ceil(users.size / 8));
  users.fill(state, 0, nowMs, values, 0, missing);
  return { names: users.names, values, missing };
}

/**
 * One row per requested post, duplicates included, in the registry's candidate columns.
 * `rows` gives each row's index in `states.posts`; without it, rows are looked up by id.
 */
export function candidateMatrix(
  userId: string | undefined,
  states: CandidateStates,
  postIds: readonly string[],
  nowMs: number,
  rows?: ArrayLike<number>,
): PackedMatrix {
  const index = rows ?? rowsOf(states.posts.ids, postIds);
  return candidates.build(userId, states, index, nowMs);
}

/** Each requested post's index among distinct ids (every requested id must be among them). */
export function rowsOf(distinct: readonly string[], postIds: readonly string[]): Int32Array {
  const at = new Map(distinct.map((postId, i) => [postId, i]));
  return Int32Array.from(postIds, (postId) => {
    const i = at.get(postId);
    if (i === undefined) throw new Error(`post ${postId} was not read`);
    return i;
  });
}

/** A packed vector as the generated types carry it (GetUserFeatures). */
export function toFeatureVector(vector: PackedVector): featuresv1.FeatureVector {
  const { missing } = vector;
  return {
    names: [...vector.names],
    values: Array.from(vector.values),
    missing: Buffer.from(missing.buffer, missing.byteOffset, missing.byteLength),
  };
}

/** Tags and blogs the user is drawn to (positive decayed affinity), strongest first. */
export function interestsOf(user: UserStates, nowMs: number, limit: number): featuresv1.Interest[] {
  const interests: featuresv1.Interest[] = [];
  for (const { tag, state } of user.tags) {
    const { signal, halfLifeMs } = INTERESTS.tag;
    const weight = LAYOUTS.user_tag.counter(state, signal, halfLifeMs, nowMs);
    if (weight > 0)
      interests.push({ kind: featuresv1.InterestKind.INTEREST_KIND_TAG, name: tag, weight });
  }
  for (const { blogId, state } of user.blogs) {
    const { signal, halfLifeMs } = INTERESTS.blog;
    const weight = LAYOUTS.user_blog.counter(state, signal, halfLifeMs, nowMs);
    if (weight > 0) {
      interests.push({ kind: featuresv1.InterestKind.INTEREST_KIND_BLOG, name: blogId, weight });
    }
  }
  return interests
    .sort((a, b) => b.weight - a.weight || a.kind - b.kind || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}

/** Milliseconds since the epoch of the user's latest session; 0 when never seen. */
export function lastSessionOf(state: Float64Array | undefined): number {
  const at =
    state === undefined ? Number.NaN : LAYOUTS.user.attributeValue(state, 'last_session_at');
  return Number.isNaN(at) ? 0 : at;
}
