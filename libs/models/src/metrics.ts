/**
 * Offline metrics for binary objectives. Labels are 0/1; scores are probabilities (AUC only
 * needs their order).
 */

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting half (the Mann-Whitney U statistic). NaN when the labels hold only
 * one class, since no pair can be ordered.
 */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSumPositives = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const score = scores[order[i] as number] as number;
    while (j + 1 < n && scores[order[j + 1] as number] === score) j += 1;
    // Ranks i+1..j+1 share one score: each gets their average.
    const averageRank = (i + j + 2) / 2;
    for (let t = i; t <= j; t += 1) {
      if (labels[order[t] as number] === 1) {
        positives += 1;
        rankSumPositives += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

const EPSILON = 1e-7;

/** Mean negative log-likelihood, with probabilities clipped to [1e-7, 1 - 1e-7]. */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n; i += 1) {
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, probabilities[i] as number));
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / n;
}

export interface CalibrationBucket {
  /**
   * 0-based, in order of prediction: 0 holds the lowest. Consecutive, though there may be
   * fewer buckets than asked for (fewer rows, or ties spanning cut-points).
   */
  readonly bucket: number;
  readonly count: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

/**
 * Predictions sorted and cut into (up to) ten equal-count buckets; a calibrated model has
 * meanPredicted close to observedRate in each. Equal predictions always share a bucket: a
 * cut-point falling inside a run of them moves to the nearer end of the run. Splitting a tie
 * would hand its labels to buckets by row order, so the same predictions and labels could
 * score an ECE of 0 or 0.5; kept whole, the buckets depend on the (prediction, label) pairs
 * only.
 */
export function calibrationByDecile(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  buckets = 10,
): CalibrationBucket[] {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (probabilities[a] as number) - (probabilities[b] as number),
  );
  const sorted = (t: number) => probabilities[order[t] as number] as number;
  const cuts = Array.from({ length: buckets + 1 }, (_, b) =>
    outsideTies(sorted, n, Math.floor((b * n) / buckets)),
  );
  const out: CalibrationBucket[] = [];
  for (let b = 0; b < buckets; b += 1) {
    const from = cuts[b] as number;
    const to = cuts[b + 1] as number;
    if (to <= from) continue;
    let predicted = 0;
    let observed = 0;
    for (let t = from; t < to; t += 1) {
      const i = order[t] as number;
      predicted += probabilities[i] as number;
      observed += labels[i] as number;
    }
    const count = to - from;
    out.push({
      bucket: out.length,
      count,
      meanPredicted: predicted / count,
      observedRate: observed / count,
    });
  }
  return out;
}

/**
 * The cut-point nearest `cut` (in sorted positions 0..n) that falls between two different
 * predictions: `cut` itself unless it splits a run of equal ones, else the run's nearer end
 * (its end when both are as near). Nearer ends keep the buckets' counts as even as ties allow,
 * and cut-points stay in order, since two inside one run move the same way or apart.
 */
function outsideTies(sorted: (position: number) => number, n: number, cut: number): number {
  if (cut <= 0 || cut >= n || sorted(cut - 1) !== sorted(cut)) return cut;
  const value = sorted(cut);
  let start = cut - 1;
  while (start > 0 && sorted(start - 1) === value) start -= 1;
  let end = cut + 1;
  while (end < n && sorted(end) === value) end += 1;
  return cut - start < end - cut ? start : end;
}

/**
 * Expected calibration error over the buckets: the count-weighted mean gap between predicted
 * and observed rates. One number for the registry's metrics map. Over `calibrationByDecile`'s
 * equal-count buckets this is the adaptive ECE (Nixon et al. 2019) rather than Guo et al.'s
 * equal-width one: engagement probabilities crowd near 0, where equal-width bins would put
 * almost every row in the first bin and measure little more than the mean.
 */
export function expectedCalibrationError(buckets: readonly CalibrationBucket[]): number {
  let total = 0;
  let gaps = 0;
  for (const b of buckets) {
    total += b.count;
    gaps += b.count * Math.abs(b.meanPredicted - b.observedRate);
  }
  return total === 0 ? Number.NaN : gaps / total;
}
