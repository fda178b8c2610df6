import type { BucketWidth, CandidateStore, TrendSubject } from './candidate-store.js';
import type { TrendingSettings } from './candidate-settings.js';
import { scoreTrend, trendWindow, type TrendScore } from './trend-score.js';

export interface Trend extends TrendScore {
  /** The tag, or the post id. */
  readonly id: string;
}

export interface TrendingNow {
  /** Most trending first; only what passed the minimum count and score. */
  readonly tags: readonly Trend[];
  readonly posts: readonly Trend[];
}

/**
 * Finds the tags and posts rising faster than their baseline: scores the most recently
 * active ones (a capped index kept by the store) on their bucketed engagement counts. One
 * starts trending at `minScore` and stops below `releaseScore` (hysteresis, remembered per
 * window between computations), always with at least `minCount` engagements in the window.
 * A ranking is reused for `cacheMs` of wall time per window: it changes on the scale of
 * buckets, and every trending source call and Trending call would otherwise recompute it. Once
 * stale it is still served while a new one is computed in the background, so no request waits
 * for a computation except the very first. Both are kept for the `MAX_WINDOWS` windows asked
 * for most recently: a caller may ask for any window up to a week, second by second.
 */
export class TrendingDetector {
  static readonly MAX_WINDOWS = 32;

  private readonly cache = new Map<
    number,
    { at: number; result: Promise<TrendingNow>; refreshing: boolean }
  >();
  /** What trended at the last computation, per window and subject: the hysteresis's memory. */
  private readonly trendingBefore = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: TrendingSettings,
    private readonly retainedBuckets: Readonly<Record<BucketWidth, number>>,
    private readonly wallClock: () => number = () => performance.now(),
  ) {}

  trending(windowMs: number, nowMs: number): Promise<TrendingNow> {
    if (this.settings.cacheMs <= 0) return this.compute(windowMs, nowMs);
    const cached = this.cache.get(windowMs);
    const wall = this.wallClock();
    if (!cached) {
      const result = this.compute(windowMs, nowMs);
      remember(this.cache, windowMs, { at: wall, result, refreshing: false });
      result.catch(() => {
        if (this.cache.get(windowMs)?.result === result) this.cache.delete(windowMs);
      });
      return result;
    }
    remember(this.cache, windowMs, cached);
    if (wall - cached.at >= this.settings.cacheMs && !cached.refreshing) {
      cached.refreshing = true;
      this.compute(windowMs, nowMs).then(
        (fresh) =>
          remember(this.cache, windowMs, {
            at: this.wallClock(),
            result: Promise.resolve(fresh),
            refreshing: false,
          }),
        () => (cached.refreshing = false),
      );
    }
    return cached.result;
  }

  private async compute(windowMs: number, nowMs: number): Promise<TrendingNow> {
    const [tags, posts] = await Promise.all([
      this.rank('tag', this.settings.tagPool, windowMs, nowMs),
      this.rank('post', this.settings.postPool, windowMs, nowMs),
    ]);
    return { tags, posts };
  }

  private async rank(
    subject: TrendSubject,
    pool: number,
    windowMs: number,
    nowMs: number,
  ): Promise<Trend[]> {
    const active = await this.store.activeTrendSubjects(subject, pool);
    if (active.length === 0) return [];
    const window = trendWindow(windowMs, nowMs, this.retainedBuckets);
    const ids = active.map((entry) => entry.id);
    const counts = await this.store.trendCounts(subject, ids, window.width);
    const { minCount, minScore, releaseScore } = this.settings;
    const memory = `${subject}:${windowMs}`;
    const before = this.trendingBefore.get(memory) ?? new Set<string>();
    const trends = ids
      .map((id) => ({ id, ...scoreTrend(counts.get(id) ?? new Map(), window) }))
      .filter(
        (trend) =>
          trend.observed >= minCount &&
          trend.score >= (before.has(trend.id) ? releaseScore : minScore),
      )
      .sort((a, b) => b.score - a.score || b.observed - a.observed || (a.id < b.id ? -1 : 1));
    remember(this.trendingBefore, memory, new Set(trends.map((trend) => trend.id)), 2);
    return trends;
  }

  /** Windows whose ranking and hysteresis are remembered now (at most `MAX_WINDOWS` each). */
  rememberedWindows(): { rankings: number; hysteresis: number } {
    return { rankings: this.cache.size, hysteresis: this.trendingBefore.size / 2 };
  }
}

/**
 * Sets `key` as the most recently used entry of `map`, dropping the least recently used ones
 * past `MAX_WINDOWS` × `perWindow` (a map keeps insertion order).
 */
function remember<K, V>(map: Map<K, V>, key: K, value: V, perWindow = 1): void {
  map.delete(key);
  map.set(key, value);
  const max = TrendingDetector.MAX_WINDOWS * perWindow;
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}
