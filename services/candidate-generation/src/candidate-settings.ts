import { DAY_MS } from './candidate-store.js';
import { halfLifeOf, type HalfLife } from './decay.js';

const HOUR_MS = 60 * 60 * 1000;

/** The tunable parts of candidate generation, from configuration (see index.ts). */
export interface CandidateSettings {
  /**
   * Baked into stored log-scores at write time: changing one after data was written mixes
   * two scales until the old scores decay away, so rebuild from the log instead.
   */
  readonly popularityHalfLife: HalfLife;
  readonly affinityHalfLife: HalfLife;
  /** Recent activity that decides which tags and posts the trending detector scores. */
  readonly activityHalfLife: HalfLife;
  /** How fast a post's recency score halves (following, tags). */
  readonly recencyHalfLife: HalfLife;
  /** A blog younger than this at request time is a new creator. */
  readonly newCreatorMaxAgeMs: number;
  /** Posts older than this are not proposed by recency-based sources; keys expire after it. */
  readonly retentionMs: number;
  /** A source's time budget when neither the request nor the surface defaults name one. */
  readonly defaultSourceTimeoutMs: number;
  readonly trending: TrendingSettings;
}

export interface TrendingSettings {
  /** Engagements a tag or post needs in the window before it can trend. */
  readonly minCount: number;
  /** Standardized surprise a tag or post needs to start trending. */
  readonly minScore: number;
  /**
   * Hysteresis: a tag or post that trends keeps trending while its score stays at or above
   * this (at most `minScore`), so one that hovers around the threshold does not flicker in and
   * out of the list from one computation to the next.
   */
  readonly releaseScore: number;
  /** Window when a request names none, ms. */
  readonly defaultWindowMs: number;
  /** How long a computed ranking is served before it is computed again, ms (wall time). */
  readonly cacheMs: number;
  /** Most recently active tags and posts scored per computation. */
  readonly tagPool: number;
  readonly postPool: number;
}

export const DEFAULT_SETTINGS: CandidateSettings = {
  popularityHalfLife: halfLifeOf(24 * HOUR_MS),
  affinityHalfLife: halfLifeOf(14 * DAY_MS),
  activityHalfLife: halfLifeOf(3 * HOUR_MS),
  recencyHalfLife: halfLifeOf(24 * HOUR_MS),
  newCreatorMaxAgeMs: 30 * DAY_MS,
  retentionMs: 30 * DAY_MS,
  defaultSourceTimeoutMs: 100,
  trending: {
    minCount: 5,
    minScore: 2,
    releaseScore: 1,
    defaultWindowMs: HOUR_MS,
    cacheMs: 10_000,
    tagPool: 1_000,
    postPool: 2_000,
  },
};
