import { mean } from '@feedmesh/evaluation';
import { contentFeatures } from './features.js';
import { seededRandom, shuffled } from './hashing.js';
import { readMovieLensContent, splitTitle, type MovieLensContent } from './movielens-content.js';
import { TagInferrer } from './tag-inferrer.js';
import { TagVocabulary } from './tag-vocabulary.js';

export interface TagInferenceEvalOptions {
  readonly dataDir: string;
  readonly seed?: number;
  /** Share of tagged movies whose tags are held out. */
  readonly holdOut?: number;
  readonly k?: number;
  readonly neighbours?: number;
}

export interface TagInferenceMethodReport {
  readonly precisionAtK: number;
  readonly recallAtK: number;
  /** Share of held-out movies with at least one right tag in the top k. */
  readonly hitRateAtK: number;
}

export interface TagInferenceEvalReport {
  readonly protocol: string;
  readonly seed: number;
  readonly k: number;
  readonly taggedMovies: number;
  readonly heldOutMovies: number;
  readonly distinctTags: number;
  readonly learnedSynonyms: number;
  /** Mean of min(relevant, k) / k: the best precision@k any method could reach. */
  readonly precisionCeiling: number;
  readonly methods: {
    /** kNN over title words and genres only. */
    readonly content: TagInferenceMethodReport;
    /** kNN over title words, genres and the users who rated the movie 4+ stars (engagers). */
    readonly contentAndEngagers: TagInferenceMethodReport;
    /** The k most frequent training tags for every movie. */
    readonly mostFrequentTags: TagInferenceMethodReport;
  };
  readonly elapsedMs: number;
}

/**
 * Tag inference on ml-latest-small: hold out every tag of a share of the tagged movies, train
 * the inferrer on the other tagged movies (their title words, genres and canonical tags), and
 * infer k tags for each held-out movie from its title and genres. Relevant = the movie's
 * held-out canonical tags (genres are inputs, never counted as hits).
 */
export async function runTagInferenceEval(
  options: TagInferenceEvalOptions,
): Promise<TagInferenceEvalReport> {
  const started = Date.now();
  return tagInferenceEval(await readMovieLensContent(options.dataDir), options, started);
}

export function tagInferenceEval(
  data: MovieLensContent,
  options: Omit<TagInferenceEvalOptions, 'dataDir'>,
  started = Date.now(),
): TagInferenceEvalReport {
  const seed = options.seed ?? 42;
  const k = options.k ?? 5;
  const rawTags = new Map<string, string[]>();
  for (const t of data.tags) {
    if (data.movies.has(t.itemId)) rawTags.set(t.itemId, [...(rawTags.get(t.itemId) ?? []), t.tag]);
  }
  const tagged = [...rawTags.keys()].sort();
  const heldOutList = shuffled(tagged, seededRandom(seed)).slice(
    0,
    Math.round((options.holdOut ?? 0.2) * tagged.length),
  );
  const heldOut = new Set(heldOutList);
  const trainingMovies = tagged.filter((id) => !heldOut.has(id));
  const vocabulary = TagVocabulary.train(trainingMovies.map((id) => rawTags.get(id)!));
  const labels = new Map(tagged.map((id) => [id, vocabulary.normalize(rawTags.get(id)!)]));

  const fans = new Map<string, string[]>();
  for (const r of data.ratings)
    if (r.rating >= 4) fans.set(r.itemId, [...(fans.get(r.itemId) ?? []), `user:${r.userId}`]);
  const baseFeatures = (id: string): string[] => {
    const movie = data.movies.get(id)!;
    const { name, year } = splitTitle(movie.title);
    const tags = vocabulary.normalize(movie.genres);
    if (year !== undefined) tags.push(`decade:${Math.floor(year / 10) * 10}s`);
    return contentFeatures(name, tags);
  };
  const withEngagers = (id: string): string[] => [...baseFeatures(id), ...(fans.get(id) ?? [])];

  const evaluate = (featuresOf: (id: string) => string[]): TagInferenceMethodReport => {
    const inferrer = TagInferrer.train(
      trainingMovies.map((id) => ({
        features: [...featuresOf(id), ...labels.get(id)!.map((t) => `#${t}`)],
        tags: labels.get(id)!,
      })),
      { neighbours: options.neighbours ?? 50 },
    );
    return score(
      heldOutList.map((id) => [
        inferrer.infer(featuresOf(id), { limit: k }).map((t) => t.tag),
        labels.get(id)!,
      ]),
      k,
    );
  };

  const frequency = new Map<string, number>();
  for (const id of trainingMovies)
    for (const t of labels.get(id)!) frequency.set(t, (frequency.get(t) ?? 0) + 1);
  const mostFrequent = [...frequency]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, k)
    .map(([t]) => t);

  return {
    protocol:
      `hold out all tags of ${heldOutList.length} of ${tagged.length} tagged movies; train a kNN tag inferrer on the ` +
      `other tagged movies; infer ${k} tags per held-out movie from its title words and genres; relevant = its ` +
      `canonical (normalized, synonym-mapped) tags; precision@${k} averaged over held-out movies`,
    seed,
    k,
    taggedMovies: tagged.length,
    heldOutMovies: heldOutList.length,
    distinctTags: new Set([...labels.values()].flat()).size,
    learnedSynonyms: vocabulary.synonymCount,
    precisionCeiling: mean(heldOutList.map((id) => Math.min(labels.get(id)!.length, k) / k)),
    methods: {
      content: evaluate(baseFeatures),
      contentAndEngagers: evaluate(withEngagers),
      mostFrequentTags: score(
        heldOutList.map((id) => [mostFrequent, labels.get(id)!]),
        k,
      ),
    },
    elapsedMs: Date.now() - started,
  };
}

function score(
  runs: ReadonlyArray<readonly [readonly string[], readonly string[]]>,
  k: number,
): TagInferenceMethodReport {
  const perMovie = runs.map(([inferred, relevant]) => {
    const rel = new Set(relevant);
    const hits = inferred.slice(0, k).filter((t) => rel.has(t)).length;
    return {
      precision: hits / k,
      recall: rel.size === 0 ? 0 : hits / rel.size,
      hit: hits > 0 ? 1 : 0,
    };
  });
  return {
    precisionAtK: mean(perMovie.map((m) => m.precision)),
    recallAtK: mean(perMovie.map((m) => m.recall)),
    hitRateAtK: mean(perMovie.map((m) => m.hit)),
  };
}
