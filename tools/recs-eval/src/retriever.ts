import type { Interactions } from './interactions.js';

/**
 * A first-stage recommender fitted on one fold: scores every catalog item for a user
 * (higher is better). Items the user rated are left to the caller to exclude.
 */
export interface Retriever {
  readonly name: string;
  scoreUser(user: number, out: Float32Array): void;
}

export type RetrieverFactory = (data: Interactions) => Retriever;

/** The ids of the k best-scored items, skipping `exclude`. */
export function topItems(
  scores: Float32Array,
  k: number,
  exclude: ReadonlySet<number> | Int32Array,
): number[] {
  const excluded = exclude instanceof Int32Array ? new Set(exclude) : exclude;
  const heap: number[] = [];
  // A partial selection: keep the k best seen, replacing the worst when beaten.
  let worst = -1;
  for (let i = 0; i < scores.length; i += 1) {
    const s = scores[i] as number;
    if (!(s > Number.NEGATIVE_INFINITY) || excluded.has(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      if (heap.length === k) worst = worstOf(heap, scores);
      continue;
    }
    if (s > (scores[heap[worst] as number] as number)) {
      heap[worst] = i;
      worst = worstOf(heap, scores);
    }
  }
  return heap.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

function worstOf(items: number[], scores: Float32Array): number {
  let at = 0;
  for (let j = 1; j < items.length; j += 1) {
    if ((scores[items[j] as number] as number) < (scores[items[at] as number] as number)) at = j;
  }
  return at;
}
