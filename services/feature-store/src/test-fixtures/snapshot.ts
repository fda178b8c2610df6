import assert from 'node:assert/strict';
import type { featuresv1 } from '@feedmesh/contracts';
import type { PackedMatrix, PackedVector } from '../candidate-matrix.js';
import { candidateMatrix, interestsOf, lastSessionOf, userVector } from '../feature-responses.js';
import type { FeatureStore } from '../feature-store.js';

/** Everything the store would serve about some users and posts at one instant. */
export interface Snapshot {
  readonly users: Record<
    string,
    {
      readonly features: PackedVector;
      readonly candidates: PackedMatrix;
      readonly sets: Record<string, readonly string[]>;
      readonly interests: featuresv1.Interest[];
      readonly lastSessionAtMs: number;
    }
  >;
}

export async function snapshotOf(
  store: FeatureStore,
  users: readonly string[],
  posts: readonly string[],
  nowMs: number,
): Promise<Snapshot> {
  const snapshot: Record<string, Snapshot['users'][string]> = {};
  for (const userId of users) {
    const states = await store.readCandidates(userId, posts);
    const user = await store.readUser(userId, 100);
    snapshot[userId] = {
      features: userVector(user.state, nowMs),
      candidates: candidateMatrix(userId, states, posts, nowMs),
      sets: user.sets,
      interests: interestsOf(user, nowMs, 100),
      lastSessionAtMs: lastSessionOf(user.state),
    };
  }
  return { users: snapshot };
}

/**
 * Equal up to floating-point rounding: decayed sums folded in another order (or by Lua's pow
 * rather than V8's) may differ in the last bits, nothing more.
 */
export function assertSameSnapshot(actual: Snapshot, expected: Snapshot): void {
  assert.deepEqual(rounded(actual), rounded(expected));
}

function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toPrecision(10));
  if (value instanceof Float32Array) return Array.from(value, rounded);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(rounded);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  }
  return value;
}
