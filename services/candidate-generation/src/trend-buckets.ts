import { BUCKET_WIDTH_MS, type BucketWidth } from './candidate-store.js';

/**
 * Buckets may exceed their cap by this many before old ones are pruned, so pruning (a scan of
 * every bucket) runs once per PRUNE_SLACK new buckets rather than on every engagement.
 */
export const PRUNE_SLACK = 16;

export function bucketIndex(atMs: number, width: BucketWidth): number {
  return Math.floor(atMs / BUCKET_WIDTH_MS[width]);
}

export function bucketsOf(atMs: number): Record<BucketWidth, number> {
  return { '5m': bucketIndex(atMs, '5m'), '1h': bucketIndex(atMs, '1h') };
}

/** Drops buckets more than `keep` behind the newest once there are too many (as the Lua does). */
export function pruneBuckets(counts: Map<number, number>, keep: number): void {
  if (counts.size <= keep + PRUNE_SLACK) return;
  const newest = Math.max(...counts.keys());
  for (const bucket of [...counts.keys()]) if (bucket <= newest - keep) counts.delete(bucket);
}
