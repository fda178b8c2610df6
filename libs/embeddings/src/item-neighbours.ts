import { InvalidArgumentError } from '@feedmesh/errors';
import { invertSymmetricPositiveDefinite, NotPositiveDefiniteError } from './spd-inverse.js';
import { TopK } from './top-k.js';

/**
 * An item-to-item model in compressed rows: seed `ids[i]` relates to `ids[targets[k]]` with
 * weight `weights[k]` for k in offsets[i]..offsets[i + 1], largest magnitude first (negative
 * weights are kept: they are what the model learned against). A user's score for a post is the
 * sum of the weights from the posts they engaged with.
 */
export interface ItemNeighbours {
  readonly ids: readonly string[];
  /** ids.length + 1 row starts. */
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
  readonly weights: Float32Array;
}

/** One engagement with its time: the order of a user's engagements is the signal. */
export interface TimedEngagement {
  readonly userId: string;
  readonly postId: string;
  readonly atMs: number;
}

export interface SessionEaseOptions {
  /** Pairs up to this many places apart in a user's engagements count, the one d apart 1/√d. Default 100. */
  readonly window?: number;
  /** L2 penalty λ of the item-item weights. Default 50. */
  readonly regularization?: number;
  /** Posts with fewer engagers are left out. Default 1. */
  readonly minEngagers?: number;
  /**
   * The most-engaged posts kept at most: the closed form inverts a posts × posts matrix,
   * cubic in its size (5,000 posts take about a minute). Default 6,000.
   */
  readonly maxItems?: number;
  /**
   * Targets kept per seed post, by the magnitude of their weight. Default 1,000 (on
   * ml-latest-small 300 lose a third of what the model adds to the union, see EVALUATION.md of
   * candidate generation).
   */
  readonly neighbours?: number;
}

export const DEFAULT_SESSION_EASE: Required<SessionEaseOptions> = {
  window: 100,
  regularization: 50,
  minEngagers: 1,
  maxItems: 6_000,
  neighbours: 1_000,
};

export interface SessionEaseReport {
  /** The penalty the inversion needed: `regularization`, raised when G was not positive definite. */
  readonly regularization: number;
}

/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019) fitted on
 * session co-occurrence instead of the plain Gram matrix XᵀX: two posts count together by
 * 1/√d when one user engaged with them d places apart (up to `window`), the diagonal holds
 * each post's engager count. B = I − P·diag(1/diag(P)) with P = (G + λI)⁻¹, zero diagonal; each
 * seed keeps its `neighbours` weights of largest magnitude. Regressing every post on the others
 * explains away what popular posts share, which plain co-occurrence counts again and again.
 *
 * Unlike XᵀX, G is not positive semi-definite by construction (the 1/√d weights of a long
 * sequence can outweigh its diagonal); on real logs it is, but when the inversion finds it is
 * not, λ is doubled until it is (`report.regularization` says which was used).
 */
export function trainSessionEase(
  engagements: Iterable<TimedEngagement>,
  options: SessionEaseOptions = {},
  report: { regularization?: number } = {},
): ItemNeighbours {
  const { window, regularization, minEngagers, maxItems, neighbours } = {
    ...DEFAULT_SESSION_EASE,
    ...options,
  };
  if (!(regularization > 0)) throw new InvalidArgumentError('regularization', 'must be > 0');
  if (!(window >= 1)) throw new InvalidArgumentError('window', 'must be at least 1');

  // Each user's posts in the order of their first engagement with each.
  const byUser = new Map<string, Map<string, number>>();
  for (const e of engagements) {
    let posts = byUser.get(e.userId);
    if (!posts) byUser.set(e.userId, (posts = new Map()));
    const seen = posts.get(e.postId);
    if (seen === undefined || e.atMs < seen) posts.set(e.postId, e.atMs);
  }
  const engagers = new Map<string, number>();
  for (const posts of byUser.values()) {
    for (const postId of posts.keys()) engagers.set(postId, (engagers.get(postId) ?? 0) + 1);
  }
  const kept = [...engagers]
    .filter(([, n]) => n >= minEngagers)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxItems);
  const ids = kept.map(([id]) => id);
  const slot = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;

  const g = new Float64Array(n * n);
  kept.forEach(([, count], i) => (g[i * n + i] = count + regularization));
  const step = Float64Array.from({ length: window + 1 }, (_, d) => (d === 0 ? 0 : d ** -0.5));
  for (const posts of byUser.values()) {
    const sequence = [...posts].sort((a, b) => a[1] - b[1]).map(([id]) => slot.get(id) ?? -1);
    for (let a = 0; a < sequence.length; a++) {
      const i = sequence[a]!;
      if (i < 0) continue;
      const last = Math.min(sequence.length - 1, a + window);
      for (let b = a + 1; b <= last; b++) {
        const j = sequence[b]!;
        if (j < 0 || j === i) continue;
        const w = step[b - a]!;
        g[i * n + j]! += w;
        g[j * n + i]! += w;
      }
    }
  }

  const counts = Float64Array.from(kept, ([, count]) => count);
  let penalty = regularization;
  for (;;) {
    try {
      invertSymmetricPositiveDefinite(g, n);
      break;
    } catch (error) {
      if (!(error instanceof NotPositiveDefiniteError) || penalty > regularization * 1e6) {
        throw error;
      }
      // The failed factorization wrote only the lower triangle: restore it from the upper one.
      penalty *= 2;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i]!;
        g[i * n + i] = counts[i]! + penalty;
      }
    }
  }
  report.regularization = penalty;
  const p = g;
  const offsets = new Int32Array(n + 1);
  const targets: number[] = [];
  const weights: number[] = [];
  const top = new TopK(Math.max(1, neighbours));
  for (let i = 0; i < n; i++) {
    top.size = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const w = -p[row + j]! / p[j * n + j]!;
      if (w !== 0) top.offer(Math.abs(w), j);
    }
    for (const { slot: j } of top.sorted()) {
      targets.push(j);
      weights.push(-p[row + j]! / p[j * n + j]!);
    }
    offsets[i + 1] = targets.length;
  }
  return {
    ids,
    offsets,
    targets: Int32Array.from(targets),
    weights: Float32Array.from(weights),
  };
}

/** Throws InvalidArgumentError naming the first inconsistent part. */
export function checkNeighbours(model: ItemNeighbours): void {
  const n = model.ids.length;
  if (model.offsets.length !== n + 1 || model.offsets[0] !== 0) {
    throw new InvalidArgumentError('neighbours.offsets', `must hold ${n + 1} row starts from 0`);
  }
  for (let i = 0; i < n; i++) {
    if (model.offsets[i + 1]! < model.offsets[i]!) {
      throw new InvalidArgumentError('neighbours.offsets', 'must not decrease');
    }
  }
  const entries = model.offsets[n]!;
  if (model.targets.length !== entries || model.weights.length !== entries) {
    throw new InvalidArgumentError('neighbours.targets', `must hold ${entries} entries`);
  }
  for (let k = 0; k < entries; k++) {
    if (model.targets[k]! < 0 || model.targets[k]! >= n) {
      throw new InvalidArgumentError('neighbours.targets', `must be in 0-${n - 1}`);
    }
    if (!Number.isFinite(model.weights[k]!)) {
      throw new InvalidArgumentError('neighbours.weights', 'must be finite');
    }
  }
}
