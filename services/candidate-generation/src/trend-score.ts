import { BUCKET_WIDTH_MS, type BucketWidth } from './candidate-store.js';

/** Windows up to this long are measured in 5-minute buckets, longer ones in hourly buckets. */
const FINE_WINDOW_MAX_MS = 6 * 60 * 60 * 1000;

/** Where a window sits in the bucket series, and how its baseline is weighted. */
export interface TrendWindow {
  readonly width: BucketWidth;
  /** The bucket `now` falls in: the window's last, partly elapsed bucket. */
  readonly nowBucket: number;
  /** Buckets the window covers, the current one included. */
  readonly windowBuckets: number;
  /** How much of the current bucket has elapsed, [0, 1). */
  readonly currentFraction: number;
  /** Buckets before the window that form the baseline. */
  readonly historyBuckets: number;
  /** EWMA decay per bucket of the baseline, going back in time. */
  readonly alpha: number;
}

export interface TrendScore {
  /** Engagements in the window. */
  readonly observed: number;
  /** Engagements the baseline rate predicts for the window. */
  readonly expected: number;
  /** (observed - expected) / sqrt(expected): a Poisson z-score, larger is more surprising. */
  readonly score: number;
}

export function trendWindow(
  windowMs: number,
  nowMs: number,
  retainedBuckets: Readonly<Record<BucketWidth, number>>,
): TrendWindow {
  const width: BucketWidth = windowMs <= FINE_WINDOW_MAX_MS ? '5m' : '1h';
  const widthMs = BUCKET_WIDTH_MS[width];
  const windowBuckets = Math.max(1, Math.ceil(windowMs / widthMs));
  // The baseline should remember several windows, so a burst is compared with the usual
  // level rather than with the bucket just before it.
  const span = Math.max(4 * windowBuckets, 12);
  return {
    width,
    nowBucket: Math.floor(nowMs / widthMs),
    windowBuckets,
    currentFraction: (nowMs % widthMs) / widthMs,
    historyBuckets: Math.max(0, Math.min(retainedBuckets[width] - windowBuckets, 3 * span)),
    alpha: 2 / (span + 1),
  };
}

/**
 * Compares the window's count with what an exponentially weighted mean of earlier buckets
 * predicts. A tag that is always busy predicts itself and scores about 0; a burst scores
 * high. Buckets with no entry count as zero: nothing happened.
 */
export function scoreTrend(counts: ReadonlyMap<number, number>, window: TrendWindow): TrendScore {
  const firstInWindow = window.nowBucket - window.windowBuckets + 1;
  let observed = 0;
  for (let bucket = firstInWindow; bucket <= window.nowBucket; bucket++) {
    observed += counts.get(bucket) ?? 0;
  }
  let weighted = 0;
  let totalWeight = 0;
  let weight = 1;
  for (let age = 1; age <= window.historyBuckets; age++) {
    weighted += weight * (counts.get(firstInWindow - age) ?? 0);
    totalWeight += weight;
    weight *= 1 - window.alpha;
  }
  const ratePerBucket = totalWeight > 0 ? weighted / totalWeight : 0;
  const elapsedBuckets = window.windowBuckets - 1 + window.currentFraction;
  const expected = ratePerBucket * elapsedBuckets;
  const score = (observed - expected) / Math.sqrt(Math.max(expected, 1));
  return { observed, expected, score };
}
