import { mean, recallAt } from '@feedmesh/evaluation';
import {
  ContentScorer,
  engagementPriorZ,
  trainContentModels,
  type TrainingPost,
} from './content-models.js';
import { contentFeatures } from './features.js';
import { seededRandom, shuffled } from './hashing.js';
import { buildInterestProfile } from './interest-profile.js';
import { readMovieLensContent, splitTitle, type MovieLensContent } from './movielens-content.js';

export interface ColdStartEvalOptions {
  /** ml-latest-small's folder (movies.csv, ratings.csv, tags.csv). */
  readonly dataDir: string;
  readonly seed?: number;
  /** Share of movies held out entirely. */
  readonly holdOut?: number;
  readonly k?: number;
  readonly dim?: number;
  readonly priorWeight?: number;
  readonly priorLambda?: number;
  readonly centering?: number;
  readonly coEngagementWindow?: number;
}

export interface ColdStartMethodReport {
  readonly recallAtK: number;
  /** Hits over all test users / relevant pairs over all test users. */
  readonly microRecallAtK: number;
}

export interface ColdStartEvalReport {
  readonly protocol: string;
  readonly seed: number;
  readonly k: number;
  readonly movies: number;
  readonly heldOutMovies: number;
  readonly trainingRatings: number;
  readonly testUsers: number;
  readonly relevantPairs: number;
  readonly methods: {
    readonly content: ColdStartMethodReport;
    readonly random: ColdStartMethodReport;
    readonly mostPopularGenre: ColdStartMethodReport;
  };
  /** content recall / the better baseline's. */
  readonly liftOverBestBaseline: number;
  readonly encoder: { readonly dim: number; readonly vocabulary: number };
  readonly elapsedMs: number;
}

/**
 * Cold start by content alone on ml-latest-small: hold out a share of the movies entirely
 * (none of their ratings is seen in training), train the tag vocabulary and the content
 * encoder on the other movies' content, and build each user's interest profile from the
 * training movies they rated. For every user who rated a held-out movie, rank all held-out
 * movies by similarity to the profile; the held-out movies the user rated are relevant.
 */
export async function runColdStartEval(
  options: ColdStartEvalOptions,
): Promise<ColdStartEvalReport> {
  const started = Date.now();
  const data = await readMovieLensContent(options.dataDir);
  return coldStartEval(data, options, started);
}

export function coldStartEval(
  data: MovieLensContent,
  options: Omit<ColdStartEvalOptions, 'dataDir'>,
  started = Date.now(),
): ColdStartEvalReport {
  const seed = options.seed ?? 42;
  const k = options.k ?? 100;
  const random = seededRandom(seed);
  const movieIds = [...data.movies.keys()].sort();
  const heldOutList = shuffled(movieIds, random).slice(
    0,
    Math.round((options.holdOut ?? 0.1) * movieIds.length),
  );
  const heldOut = new Set(heldOutList);

  const rawTags = new Map<string, string[]>();
  for (const t of data.tags) rawTags.set(t.itemId, [...(rawTags.get(t.itemId) ?? []), t.tag]);
  const posts = new Map(movieIds.map((id) => [id, moviePost(data, id, rawTags.get(id) ?? [])]));
  const training = data.ratings.filter((r) => !heldOut.has(r.itemId));
  const models = trainContentModels(
    movieIds.filter((id) => !heldOut.has(id)).map((id) => posts.get(id)!),
    training.map((r) => ({ userId: r.userId, postId: r.itemId, atMs: r.timestamp * 1000 })),
    {
      encoder: { dim: options.dim ?? 100, seed },
      coEngagementWindow: options.coEngagementWindow ?? 1,
      priorLambda: options.priorLambda ?? 5,
      trainedAtMs: 0,
    },
  );
  const features = new Map(
    movieIds.map((id) => {
      const post = posts.get(id)!;
      return [id, contentFeatures(post.text, models.vocabulary.normalize(post.tags))];
    }),
  );
  const vectors = new Map(movieIds.map((id) => [id, models.encoder.encode(features.get(id)!)]));
  const priors = new Map(
    heldOutList.map((id) => [id, engagementPriorZ(models, features.get(id)!)]),
  );
  const engaged = new Map<string, string[]>();
  const relevant = new Map<string, Set<string>>();
  for (const r of data.ratings) {
    const target = heldOut.has(r.itemId) ? relevant : engaged;
    let list = target.get(r.userId);
    if (!list)
      target.set(r.userId, (list = target === relevant ? (new Set() as never) : ([] as never)));
    if (list instanceof Set) list.add(r.itemId);
    else list.push(r.itemId);
  }
  const testUsers = [...relevant.keys()].filter((u) => (engaged.get(u)?.length ?? 0) > 0).sort();

  const content: number[][] = [];
  const randomRun: number[][] = [];
  const genreRun: number[][] = [];
  const rankRandom = seededRandom(seed + 1);
  for (const user of testUsers) {
    const rel = relevant.get(user)!;
    const profile = buildInterestProfile(
      engaged.get(user)!.map((id) => ({ vector: vectors.get(id)!, tags: [], weight: 1 })),
      { dim: models.encoder.dim },
    );
    const scorer = new ContentScorer(profile.vector, models, {
      centering: options.centering ?? 2,
      priorWeight: options.priorWeight ?? 0.1,
    });
    const byContent = [...heldOutList]
      .map((id) => ({ id, score: scorer.score(vectors.get(id)!, priors.get(id)!) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
      .map((s) => s.id);
    content.push(hits(byContent, rel, k));
    randomRun.push(hits(shuffled(heldOutList, rankRandom), rel, k));
    const genre = topGenre(engaged.get(user)!, data);
    const inGenre = shuffled(heldOutList, rankRandom);
    const byGenre = [
      ...inGenre.filter((id) => data.movies.get(id)!.genres.includes(genre)),
      ...inGenre.filter((id) => !data.movies.get(id)!.genres.includes(genre)),
    ];
    genreRun.push(hits(byGenre, rel, k));
  }
  const summarize = (runs: number[][]): ColdStartMethodReport => ({
    recallAtK: mean(runs.map(([h, n]) => h! / n!)),
    microRecallAtK: runs.reduce((s, [h]) => s + h!, 0) / runs.reduce((s, [, n]) => s + n!, 0),
  });
  const methods = {
    content: summarize(content),
    random: summarize(randomRun),
    mostPopularGenre: summarize(genreRun),
  };
  return {
    protocol:
      `hold out ${heldOutList.length} of ${movieIds.length} movies with all their ratings; train on the rest; ` +
      `for each user who rated a held-out movie (and some training movie), rank ALL held-out movies ` +
      `by the method; relevant = the held-out movies the user rated (any stars); recall@${k} averaged over users`,
    seed,
    k,
    movies: movieIds.length,
    heldOutMovies: heldOutList.length,
    trainingRatings: training.length,
    testUsers: testUsers.length,
    relevantPairs: testUsers.reduce((s, u) => s + relevant.get(u)!.size, 0),
    methods,
    liftOverBestBaseline:
      methods.content.recallAtK /
      Math.max(methods.random.recallAtK, methods.mostPopularGenre.recallAtK),
    encoder: { dim: models.encoder.dim, vocabulary: models.encoder.vocabularySize },
    elapsedMs: Date.now() - started,
  };
}

function hits(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): [number, number] {
  return [Math.round(recallAt(ranked, relevant, k) * relevant.size), relevant.size];
}

/** The genre of most of the user's training movies (ties: alphabetical). */
function topGenre(movieIds: readonly string[], data: MovieLensContent): string {
  const counts = new Map<string, number>();
  for (const id of movieIds)
    for (const g of data.movies.get(id)?.genres ?? []) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
}

/**
 * A movie as a post: its title (with the year, a term) as text; its genres, its users' free
 * tags and its decade ("1990s") as tags.
 */
function moviePost(data: MovieLensContent, id: string, tags: readonly string[]): TrainingPost {
  const movie = data.movies.get(id)!;
  const { name, year } = splitTitle(movie.title);
  return {
    postId: id,
    text: year === undefined ? name : `${name} ${year}`,
    tags: [
      ...movie.genres,
      ...tags,
      ...(year === undefined ? [] : [`${Math.floor(year / 10) * 10}s`]),
    ],
  };
}
