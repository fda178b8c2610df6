import type { Movie } from '@feedmesh/evaluation';
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
  readonly ease: Retriever;
  readonly rp3: Retriever & { readonly graph: ItemGraph };
  /** Implicit ALS, a feature only (its list adds no candidates). */
  readonly als?: Retriever;
  readonly movies: ReadonlyMap<string, Movie>;
}

const DAY = 86_400;
const RECENT_SHARE = 0.1;
const RECENT_HISTORY = 10;

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
  const sessionSums = new Float64Array(SESSION_SECONDS.length);

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
    // What everyone rated while this user was rating: MovieLens users rate in sessions, and
    // the movies of an era (its releases, the site's prompts) are rated together.
    const firstTime = times.length > 0 ? (times[0] as number) : 0;
    const windowTotal = Math.max(1, countBetween(item.allTimes, firstTime - DAY, lastTime + DAY));
    const days = new Set(Array.from(times, (t) => Math.floor(t / DAY)));
    let sessionTotal = 0;
    for (const day of days) sessionTotal += item.ratingsOnDay.get(day) ?? 0;
    sessionTotal = Math.max(1, sessionTotal);

    const firstRow = rowUsers.length;
    for (const i of [...candidates].sort((a, b) => a - b)) {
      const j = local[i] as number;
      let simMax = 0;
      let simSum = 0;
      let simRecent = 0;
      sessionSums.fill(0);
      if (j >= 0) {
        const norm = Math.sqrt(Math.max(1, data.itemCounts[i] as number));
        for (const h of historyRows) {
          const sim =
            (cooccurrence[h * n + j] as number) /
            (norm * Math.sqrt(Math.max(1, data.itemCounts[universe[h] as number] as number)));
          simSum += sim;
          if (sim > simMax) simMax = sim;
          for (let w = 0; w < sessionLinks.length; w += 1) {
            sessionSums[w] = (sessionSums[w] as number) + (sessionLinks[w]![h * n + j] as number);
          }
        }
        for (const h of recentRows) {
          simRecent +=
            (cooccurrence[h * n + j] as number) /
            (norm * Math.sqrt(Math.max(1, data.itemCounts[universe[h] as number] as number)));
        }
      }
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
    const match = movie ? /\((\d{4})\)\s*$/.exec(movie.title) : null;
    if (match) year[i] = Number(match[1]);
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
