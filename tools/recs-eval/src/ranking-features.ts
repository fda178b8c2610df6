import { releaseYearOf, type Movie } from '@feedmesh/evaluation';
import type { EaseRetriever } from './ease.retriever.js';
import type { Interactions } from './interactions.js';
import type { ItemGraph } from './rp3beta.retriever.js';
import { topItems, type Retriever } from './retriever.js';

/**
 * The ranker's inputs for one (user, candidate) pair. Names follow the feature store's
 * `<entity>.<name>` convention so the trained model reads like a served one.
 */
export const RANKING_FEATURES = [
  'ease.score',
  'ease.rank',
  'rp3.score',
  'rp3.rank',
  'post.popularity',
  'post.popularity_rank',
  'post.recent_popularity',
  'post.recent_share',
  'post.mean_stars',
  'post.year',
  'post.days_since_first',
  'user.activity_percentile',
  'user.mean_stars',
  'user.mean_year',
  'user.days_active',
  'user_post.year_gap',
  'user_post.genre_affinity',
  'user_post.similarity_max',
  'user_post.similarity_mean',
  'user_post.similarity_recent',
  'user_post.session_similarity_20s',
  'user_post.session_similarity_2m',
  'user_post.session_similarity_15m',
  'user_post.days_after_first',
  'user_post.window_popularity',
  'user_post.session_popularity',
  'als.rank',
  'user_post.als_zscore',
  'user_post.ease_last1',
  'user_post.ease_last3',
  'user_post.ease_last10',
  'user_post.ease_max',
  'user_post.ease_recent',
  'user_post.ease_top3',
] as const;

export interface CandidateSettings {
  /** Candidates taken from each retriever's list. */
  readonly perRetriever: number;
  /** Candidates taken from the popularity list. */
  readonly popular: number;
}

/** Candidates of every user with their features, rows grouped by user. */
export interface CandidateRows {
  readonly names: readonly string[];
  readonly rows: number;
  readonly values: Float32Array;
  /** Per row: the user (catalog index) and the item. */
  readonly users: Int32Array;
  readonly items: Int32Array;
}

export interface FeatureContext {
  readonly data: Interactions;
  readonly ease: EaseRetriever;
  readonly rp3: Retriever & { readonly graph: ItemGraph };
  /** Implicit ALS, a feature only (its list adds no candidates). */
  readonly als?: Retriever;
  readonly movies: ReadonlyMap<string, Movie>;
}

const DAY = 86_400;
const RECENT_SHARE = 0.1;
const RECENT_HISTORY = 10;
/** Half-life, in ratings back from the latest, of `user_post.ease_recent`'s weights. */
const EASE_HALF_LIFE = 10;

/**
 * Proposes candidates for `users` (the union of each retriever's top list and the most
 * popular, leaving out what the user rated) and computes every feature of RANKING_FEATURES.
 */
export function candidateRows(
  context: FeatureContext,
  users: readonly number[],
  settings: CandidateSettings,
): CandidateRows {
  const { data, ease, rp3, als, movies } = context;
  const items = data.catalog.itemIds.length;
  const item = itemStatistics(data, movies);
  const popular = Int32Array.from({ length: items }, (_, i) => i).sort(
    (a, b) => (data.itemCounts[b] as number) - (data.itemCounts[a] as number) || a - b,
  );
  const popularityRank = new Float32Array(items);
  popular.forEach((i, r) => (popularityRank[i] = r));
  const { universe, local, cooccurrence } = rp3.graph;
  const byActivity = Int32Array.from(users).sort(
    (a, b) => (data.history[a]?.length ?? 0) - (data.history[b]?.length ?? 0),
  );
  const activityPercentile = new Float32Array(data.catalog.userIds.length);
  byActivity.forEach((u, r) => (activityPercentile[u] = r / Math.max(1, byActivity.length - 1)));
  const n = universe.length;
  const sessionLinks = SESSION_SECONDS.map((seconds) =>
    sessionCooccurrence(data, local, n, seconds),
  );

  const values: number[] = [];
  const rowUsers: number[] = [];
  const rowItems: number[] = [];
  const easeScores = new Float32Array(items);
  const rp3Scores = new Float32Array(items);
  const easeRank = new Float32Array(items);
  const rp3Rank = new Float32Array(items);
  const alsScores = new Float32Array(items).fill(Number.NaN);
  const alsRank = new Float32Array(items).fill(settings.perRetriever);
  const genreProfile = new Map<string, number>();

  for (const user of users) {
    const history = data.history[user] as Int32Array;
    const seen = new Set(history);
    ease.scoreUser(user, easeScores);
    rp3.scoreUser(user, rp3Scores);
    const easeTop = topItems(easeScores, settings.perRetriever, seen);
    const rp3Top = topItems(rp3Scores, settings.perRetriever, seen);
    easeRank.fill(settings.perRetriever);
    rp3Rank.fill(settings.perRetriever);
    easeTop.forEach((i, r) => (easeRank[i] = r));
    rp3Top.forEach((i, r) => (rp3Rank[i] = r));
    if (als) {
      als.scoreUser(user, alsScores);
      alsRank.fill(settings.perRetriever);
      topItems(alsScores, settings.perRetriever, seen).forEach((i, r) => (alsRank[i] = r));
    }
    const candidates = new Set<number>([...easeTop, ...rp3Top]);
    for (let p = 0, taken = 0; p < popular.length && taken < settings.popular; p += 1) {
      const i = popular[p] as number;
      if (seen.has(i)) continue;
      candidates.add(i);
      taken += 1;
    }

    const stars = data.stars[user] as Float32Array;
    const times = data.times[user] as Float64Array;
    let starSum = 0;
    let yearSum = 0;
    let years = 0;
    genreProfile.clear();
    for (let h = 0; h < history.length; h += 1) {
      const i = history[h] as number;
      starSum += stars[h] as number;
      const year = item.year[i] as number;
      if (!Number.isNaN(year)) {
        yearSum += year;
        years += 1;
      }
      for (const genre of item.genres[i] ?? [])
        genreProfile.set(genre, (genreProfile.get(genre) ?? 0) + 1);
    }
    const count = Math.max(1, history.length);
    const meanYear = years > 0 ? yearSum / years : Number.NaN;
    const lastTime = times.length > 0 ? (times[times.length - 1] as number) : data.lastTime;
    const daysActive = times.length > 0 ? (lastTime - (times[0] as number)) / DAY : 0;
    const historyRows = Array.from(history, (i) => local[i] as number).filter((j) => j >= 0);
    const recentRows = historyRows.slice(-RECENT_HISTORY);
    // Per history row, what the candidate loop would otherwise work out per candidate again.
    const rootCount = (h: number) =>
      Math.sqrt(Math.max(1, data.itemCounts[universe[h] as number] as number));
    const historyRoots = historyRows.map(rootCount);
    const recentRoots = recentRows.map(rootCount);
    const easeHistory = Array.from(history, (i) => ease.local[i] as number).filter((a) => a >= 0);
    const easeDecay = easeHistory.map(
      (_, p) => 0.5 ** ((easeHistory.length - 1 - p) / EASE_HALF_LIFE),
    );
    // What everyone rated while this user was rating: MovieLens users rate in sessions, and
    // the movies of an era (its releases, the site's prompts) are rated together.
    const firstTime = times.length > 0 ? (times[0] as number) : 0;
    const windowTotal = Math.max(1, countBetween(item.allTimes, firstTime - DAY, lastTime + DAY));
    const days = new Set(Array.from(times, (t) => Math.floor(t / DAY)));
    let sessionTotal = 0;
    for (const day of days) sessionTotal += item.ratingsOnDay.get(day) ?? 0;
    sessionTotal = Math.max(1, sessionTotal);

    const firstRow = rowUsers.length;
    const ordered = [...candidates].sort((a, b) => a - b);
    const links = historyLinks(
      ordered,
      local,
      data.itemCounts,
      { cooccurrence, sessionLinks, n },
      { historyRows, historyRoots, recentRows, recentRoots },
    );
    const easeLinkValues = easeLinks(ease, easeHistory, easeDecay, ordered);
    for (let c = 0; c < ordered.length; c += 1) {
      const i = ordered[c] as number;
      const simMax = links.max[c] as number;
      const simSum = links.sum[c] as number;
      const simRecent = links.recent[c] as number;
      const sessionSums = links.session.subarray(
        c * SESSION_SECONDS.length,
        (c + 1) * SESSION_SECONDS.length,
      );
      let affinity = 0;
      const genres = item.genres[i] ?? [];
      for (const genre of genres) affinity += (genreProfile.get(genre) ?? 0) / count;
      if (genres.length > 0) affinity /= genres.length;
      const year = item.year[i] as number;
      const firstSeen = item.firstTime[i] as number;
      values.push(
        finiteOr(easeScores[i] as number),
        easeRank[i] as number,
        finiteOr(rp3Scores[i] as number),
        rp3Rank[i] as number,
        data.itemCounts[i] as number,
        popularityRank[i] as number,
        item.recentCount[i] as number,
        (item.recentCount[i] as number) / Math.max(1, data.itemCounts[i] as number),
        item.meanStars[i] as number,
        year,
        (data.lastTime - firstSeen) / DAY,
        activityPercentile[user] as number,
        starSum / count,
        meanYear,
        daysActive,
        year - meanYear,
        affinity,
        simMax,
        historyRows.length > 0 ? simSum / historyRows.length : 0,
        recentRows.length > 0 ? simRecent / recentRows.length : 0,
        ...Array.from(sessionSums, (sum) => sum / Math.max(1, historyRows.length)),
        (lastTime - firstSeen) / DAY,
        countBetween(item.times[i] as Float64Array, firstTime - DAY, lastTime + DAY) / windowTotal,
        sessionCount(item.itemDays[i] as Map<number, number>, days) / sessionTotal,
        alsRank[i] as number,
        finiteOr(alsScores[i] as number),
        ...easeLinkValues.subarray(c * EASE_LINKS, (c + 1) * EASE_LINKS),
      );
      rowUsers.push(user);
      rowItems.push(i);
    }
    scaleToUserMaximum(values, firstRow, rowUsers.length);
    standardizeWithinUser(values, firstRow, rowUsers.length);
  }
  return {
    names: RANKING_FEATURES,
    rows: rowUsers.length,
    values: Float32Array.from(values),
    users: Int32Array.from(rowUsers),
    items: Int32Array.from(rowItems),
  };
}

/**
 * The candidate's EASE weights from the user's history, B[h, candidate], beyond their sum
 * (the EASE score): from the latest 1, 3 and 10 ratings, the largest, a sum halving every
 * EASE_HALF_LIFE ratings back, and the mean of the three largest. EASE weighs a history
 * from 2005 like last week's; these say which part of it the candidate follows from
 * (validation nDCG@10 of the held-out users: random 0.1946 to 0.1978, temporal 0.1845 to 0.1851, one model each).
 * Missing for an item EASE does not model.
 */
function easeLinks(
  ease: EaseRetriever,
  history: readonly number[],
  decay: readonly number[],
  candidates: readonly number[],
): Float64Array {
  const m = candidates.length;
  const out = new Float64Array(m * EASE_LINKS);
  const n = ease.universe.length;
  const columns = Int32Array.from(candidates, (i) => ease.local[i] as number);
  // Per candidate: last1, last3, last10, max, recent, then the three largest in order.
  const state = new Float64Array(m * 8);
  for (let c = 0; c < m; c += 1) {
    state[c * 8 + 3] = Number.NEGATIVE_INFINITY;
    state.fill(Number.NEGATIVE_INFINITY, c * 8 + 5, c * 8 + 8);
  }
  // History rows outside, candidates inside: each pass reads one row of B (the candidates'
  // columns in order) instead of one column per candidate, and every candidate still adds
  // its weights in history order, so the figures are the same.
  for (let p = 0; p < history.length; p += 1) {
    const base = (history[p] as number) * n;
    const back = history.length - 1 - p;
    // decay[p] is 0.5 ** (back / EASE_HALF_LIFE), worked out once per user.
    const weight = decay[p] as number;
    for (let c = 0; c < m; c += 1) {
      const j = columns[c] as number;
      if (j < 0) continue;
      const w = ease.weights[base + j] as number;
      const at = c * 8;
      if (back < 1) state[at] = (state[at] as number) + w;
      if (back < 3) state[at + 1] = (state[at + 1] as number) + w;
      if (back < 10) state[at + 2] = (state[at + 2] as number) + w;
      if (w > (state[at + 3] as number)) state[at + 3] = w;
      state[at + 4] = (state[at + 4] as number) + w * weight;
      // The three largest, kept in order.
      if (w > (state[at + 5] as number)) {
        state[at + 7] = state[at + 6] as number;
        state[at + 6] = state[at + 5] as number;
        state[at + 5] = w;
      } else if (w > (state[at + 6] as number)) {
        state[at + 7] = state[at + 6] as number;
        state[at + 6] = w;
      } else if (w > (state[at + 7] as number)) {
        state[at + 7] = w;
      }
    }
  }
  const kept = Math.min(3, history.length);
  for (let c = 0; c < m; c += 1) {
    const row = out.subarray(c * EASE_LINKS, (c + 1) * EASE_LINKS);
    if ((columns[c] as number) < 0) {
      row.fill(Number.NaN);
      continue;
    }
    const at = c * 8;
    let topSum = 0;
    for (let t = 0; t < kept; t += 1) topSum += state[at + 5 + t] as number;
    row[0] = state[at] as number;
    row[1] = state[at + 1] as number;
    row[2] = state[at + 2] as number;
    row[3] = history.length > 0 ? (state[at + 3] as number) : Number.NaN;
    row[4] = state[at + 4] as number;
    row[5] = topSum / Math.max(1, kept);
  }
  return out;
}

const EASE_LINKS = 6;

interface LinkMatrices {
  readonly cooccurrence: Float32Array;
  readonly sessionLinks: readonly Float32Array[];
  readonly n: number;
}

interface HistoryRows {
  readonly historyRows: readonly number[];
  /** sqrt(max(1, count)) of each history row's item. */
  readonly historyRoots: readonly number[];
  readonly recentRows: readonly number[];
  readonly recentRoots: readonly number[];
}

/**
 * Per candidate, its co-occurrence cosine to the history (max, mean's sum, the recent rows'
 * sum) and its session links' sums. History rows outside, candidates inside: each pass reads
 * one row of the n x n matrices (the candidates' columns in order) instead of one column per
 * candidate, which missed the cache on every read; every candidate still adds in history
 * order, so the figures are the same.
 */
function historyLinks(
  candidates: readonly number[],
  local: Int32Array,
  itemCounts: Int32Array,
  { cooccurrence, sessionLinks, n }: LinkMatrices,
  { historyRows, historyRoots, recentRows, recentRoots }: HistoryRows,
): { max: Float64Array; sum: Float64Array; recent: Float64Array; session: Float64Array } {
  const m = candidates.length;
  const windows = sessionLinks.length;
  const columns = Int32Array.from(candidates, (i) => local[i] as number);
  const norms = Float64Array.from(candidates, (i) =>
    Math.sqrt(Math.max(1, itemCounts[i] as number)),
  );
  const max = new Float64Array(m);
  const sum = new Float64Array(m);
  const recent = new Float64Array(m);
  const session = new Float64Array(m * windows);
  for (let k = 0; k < historyRows.length; k += 1) {
    const base = (historyRows[k] as number) * n;
    const root = historyRoots[k] as number;
    for (let c = 0; c < m; c += 1) {
      const j = columns[c] as number;
      if (j < 0) continue;
      const sim = (cooccurrence[base + j] as number) / ((norms[c] as number) * root);
      sum[c] = (sum[c] as number) + sim;
      if (sim > (max[c] as number)) max[c] = sim;
    }
    for (let w = 0; w < windows; w += 1) {
      const matrix = sessionLinks[w] as Float32Array;
      for (let c = 0; c < m; c += 1) {
        const j = columns[c] as number;
        if (j < 0) continue;
        const at = c * windows + w;
        session[at] = (session[at] as number) + (matrix[base + j] as number);
      }
    }
  }
  for (let k = 0; k < recentRows.length; k += 1) {
    const base = (recentRows[k] as number) * n;
    const root = recentRoots[k] as number;
    for (let c = 0; c < m; c += 1) {
      const j = columns[c] as number;
      if (j < 0) continue;
      recent[c] =
        (recent[c] as number) + (cooccurrence[base + j] as number) / ((norms[c] as number) * root);
    }
  }
  return { max, sum, recent, session };
}

/**
 * Scores, counts and similarities grow with the amount of training data, and the ranker is
 * trained on a fold with less of it than the one it serves: dividing each by its maximum
 * over the user's candidates keeps what orders a list (the ratios) and drops the scale.
 */
const SCALED = [
  'ease.score',
  'rp3.score',
  'post.popularity',
  'post.recent_popularity',
  'user_post.similarity_max',
  'user_post.similarity_mean',
  'user_post.similarity_recent',
  'user_post.session_similarity_20s',
  'user_post.session_similarity_2m',
  'user_post.session_similarity_15m',
  'user_post.window_popularity',
  'user_post.session_popularity',
].map((name) => RANKING_FEATURES.indexOf(name as (typeof RANKING_FEATURES)[number]));

function scaleToUserMaximum(values: number[], fromRow: number, toRow: number): void {
  const width = RANKING_FEATURES.length;
  for (const f of SCALED) {
    let max = 0;
    for (let r = fromRow; r < toRow; r += 1) {
      const v = values[r * width + f] as number;
      if (v > max) max = v;
    }
    if (max <= 0) continue;
    for (let r = fromRow; r < toRow; r += 1) {
      values[r * width + f] = (values[r * width + f] as number) / max;
    }
  }
}

/**
 * ALS dot products have no fixed sign or scale (dividing by the maximum would flip order
 * for a negative one), so they become standard deviations from the mean of the user's
 * candidates. The same for EASE and RP3beta scores changed nothing (0.4142 against 0.4151).
 */
const STANDARDIZED = ['user_post.als_zscore'].map((name) =>
  RANKING_FEATURES.indexOf(name as (typeof RANKING_FEATURES)[number]),
);

function standardizeWithinUser(values: number[], fromRow: number, toRow: number): void {
  const width = RANKING_FEATURES.length;
  for (const f of STANDARDIZED) {
    let sum = 0;
    let squares = 0;
    let count = 0;
    for (let r = fromRow; r < toRow; r += 1) {
      const v = values[r * width + f] as number;
      if (Number.isNaN(v)) continue;
      sum += v;
      squares += v * v;
      count += 1;
    }
    const mean = count > 0 ? sum / count : 0;
    const sd = count > 1 ? Math.sqrt(Math.max(0, squares / count - mean * mean)) : 0;
    for (let r = fromRow; r < toRow; r += 1) {
      const at = r * width + f;
      values[at] = sd > 0 ? ((values[at] as number) - mean) / sd : 0;
    }
  }
}

/**
 * Windows of the session links: consecutive ratings, a page of the site, a sitting. On the
 * random split the shortest carried the most (one window at a time, test nDCG@10: 15 s
 * 0.408, 60 s 0.414, 5 min 0.405, 1 h 0.403), so the trees get several and pick.
 */
const SESSION_SECONDS = [20, 120, 900];

/**
 * Per pair of modelled items, how many users rated both within `window` seconds of each
 * other, over the geometric mean of the two items' ratings. MovieLens users rate in sessions, from pages
 * of movies the site put together; a random split leaves a user's held-out ratings in the
 * same sessions as the kept ones, and what others rated next to those is what they rated.
 */
function sessionCooccurrence(
  data: Interactions,
  local: Int32Array,
  n: number,
  window: number,
): Float32Array {
  const links = new Float32Array(n * n);
  data.history.forEach((history, u) => {
    const times = data.times[u] as Float64Array;
    let from = 0;
    for (let b = 0; b < history.length; b += 1) {
      while ((times[b] as number) - (times[from] as number) > window) from += 1;
      const jb = local[history[b] as number] as number;
      if (jb < 0) continue;
      for (let a = from; a < b; a += 1) {
        const ja = local[history[a] as number] as number;
        if (ja < 0) continue;
        links[ja * n + jb] = (links[ja * n + jb] as number) + 1;
        links[jb * n + ja] = (links[jb * n + ja] as number) + 1;
      }
    }
  });
  const norm = new Float32Array(n);
  data.itemCounts.forEach((count, i) => {
    const j = local[i] as number;
    if (j >= 0) norm[j] = Math.sqrt(Math.max(1, count));
  });
  for (let a = 0; a < n; a += 1) {
    for (let b = 0; b < n; b += 1) {
      const at = a * n + b;
      if (links[at] !== 0)
        links[at] = (links[at] as number) / ((norm[a] as number) * (norm[b] as number));
    }
  }
  return links;
}

function finiteOr(x: number): number {
  return Number.isFinite(x) ? x : Number.NaN;
}

interface ItemStatistics {
  readonly year: Float32Array;
  readonly genres: readonly (readonly string[] | undefined)[];
  readonly meanStars: Float32Array;
  readonly firstTime: Float64Array;
  readonly recentCount: Float32Array;
  /** Every rating time of the fold, ascending; and per item its own. */
  readonly allTimes: Float64Array;
  readonly times: readonly Float64Array[];
  /** Ratings per day (epoch day), of everyone and per item. */
  readonly ratingsOnDay: ReadonlyMap<number, number>;
  readonly itemDays: readonly Map<number, number>[];
}

/** Values in [from, to] of an ascending array. */
function countBetween(sorted: Float64Array, from: number, to: number): number {
  return lowerBound(sorted, to + 1e-9) - lowerBound(sorted, from);
}

function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sessionCount(itemDays: Map<number, number>, days: ReadonlySet<number>): number {
  let count = 0;
  if (itemDays.size < days.size) {
    for (const [day, n] of itemDays) if (days.has(day)) count += n;
  } else {
    for (const day of days) count += itemDays.get(day) ?? 0;
  }
  return count;
}

function itemStatistics(data: Interactions, movies: ReadonlyMap<string, Movie>): ItemStatistics {
  const items = data.catalog.itemIds.length;
  const year = new Float32Array(items).fill(Number.NaN);
  const genres: (readonly string[] | undefined)[] = [];
  data.catalog.itemIds.forEach((id, i) => {
    const movie = movies.get(id);
    genres.push(movie?.genres);
    const released = movie ? releaseYearOf(movie) : undefined;
    if (released !== undefined) year[i] = released;
  });
  const starSum = new Float64Array(items);
  const firstTime = new Float64Array(items).fill(Number.NaN);
  const allTimes: number[] = [];
  data.history.forEach((history, u) => {
    const stars = data.stars[u] as Float32Array;
    const times = data.times[u] as Float64Array;
    for (let h = 0; h < history.length; h += 1) {
      const i = history[h] as number;
      starSum[i] = (starSum[i] as number) + (stars[h] as number);
      const t = times[h] as number;
      if (!(t >= (firstTime[i] as number))) firstTime[i] = t;
      allTimes.push(t);
    }
  });
  allTimes.sort((a, b) => a - b);
  const recentFrom = allTimes[Math.floor(allTimes.length * (1 - RECENT_SHARE))] ?? 0;
  const recentCount = new Float32Array(items);
  data.history.forEach((history, u) => {
    const times = data.times[u] as Float64Array;
    for (let h = 0; h < history.length; h += 1) {
      if ((times[h] as number) >= recentFrom) {
        const i = history[h] as number;
        recentCount[i] = (recentCount[i] as number) + 1;
      }
    }
  });
  const meanStars = Float32Array.from(starSum, (sum, i) => {
    const count = data.itemCounts[i] as number;
    return count > 0 ? sum / count : Number.NaN;
  });
  const itemTimes: number[][] = Array.from({ length: items }, () => []);
  const ratingsOnDay = new Map<number, number>();
  const itemDays = Array.from({ length: items }, () => new Map<number, number>());
  data.history.forEach((history, u) => {
    const times = data.times[u] as Float64Array;
    for (let h = 0; h < history.length; h += 1) {
      const i = history[h] as number;
      const t = times[h] as number;
      itemTimes[i]!.push(t);
      const day = Math.floor(t / DAY);
      ratingsOnDay.set(day, (ratingsOnDay.get(day) ?? 0) + 1);
      const perItem = itemDays[i]!;
      perItem.set(day, (perItem.get(day) ?? 0) + 1);
    }
  });
  return {
    year,
    genres,
    meanStars,
    firstTime,
    recentCount,
    allTimes: Float64Array.from(allTimes),
    times: itemTimes.map((t) => Float64Array.from(t).sort()),
    ratingsOnDay,
    itemDays,
  };
}
