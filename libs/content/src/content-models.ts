import { InvalidArgumentError } from '@feedmesh/errors';
import {
  ContentEncoder,
  denseDot,
  type ContentEncoderJson,
  type ContentEncoderTrainingOptions,
} from './content-encoder.js';
import { DocumentFrequencies, type DocumentFrequenciesJson } from './document-frequencies.js';
import { EngagementPrior, type EngagementPriorJson } from './engagement-prior.js';
import { contentFeatures } from './features.js';
import { TagInferrer, type TagInferrerJson } from './tag-inferrer.js';
import { TagVocabulary, type TagVocabularyJson } from './tag-vocabulary.js';
import { terms } from './text.js';
import type { ContentModels } from './understand-post.js';

export const CONTENT_MODELS_FORMAT = 'feedmesh.content-models/1';

export interface TrainingPost {
  readonly postId: string;
  readonly text: string;
  readonly tags: readonly string[];
}

export interface TrainingEngagement {
  readonly userId: string;
  readonly postId: string;
  /** Orders a user's engagements: consecutive ones count as co-engaged content. */
  readonly atMs: number;
}

export interface ContentModelTrainingOptions {
  readonly encoder?: ContentEncoderTrainingOptions;
  /** Engagements this far apart in a user's history still pair their posts' content. */
  readonly coEngagementWindow?: number;
  readonly tagInferrerNeighbours?: number;
  readonly priorLambda?: number;
}

/** Every trained part, with what the content-similarity score needs besides. */
export interface TrainedContentModels extends Required<Omit<ContentModels, 'minHasher'>> {
  readonly prior: EngagementPrior;
  /** Mean and spread of the prior over the training posts, to put it on a z scale. */
  readonly priorScale: { readonly mean: number; readonly sd: number };
  /** Mean vector of engaged posts: what everyone engages with, subtracted from profiles. */
  readonly background: Float32Array;
  readonly trainedAtMs: number;
}

export interface ContentModelsJson {
  readonly format: typeof CONTENT_MODELS_FORMAT;
  readonly trainedAtMs: number;
  readonly vocabulary: TagVocabularyJson;
  readonly documentFrequencies: DocumentFrequenciesJson;
  readonly tagInferrer: TagInferrerJson;
  readonly encoder: ContentEncoderJson;
  readonly prior: EngagementPriorJson;
  readonly priorScale: { readonly mean: number; readonly sd: number };
  readonly background: readonly number[];
}

/**
 * Trains every content model from posts and (optionally) engagements, offline in the trainer:
 * the tag vocabulary, document frequencies for keywords, the tag inferrer, the content encoder
 * (post co-occurrence plus co-engaged pairs), and the engagement prior.
 */
export function trainContentModels(
  posts: readonly TrainingPost[],
  engagements: readonly TrainingEngagement[] = [],
  options: ContentModelTrainingOptions & { trainedAtMs?: number } = {},
): TrainedContentModels {
  const vocabulary = TagVocabulary.train(posts.map((p) => p.tags));
  const documentFrequencies = new DocumentFrequencies();
  const features = new Map<string, string[]>();
  const canonical = new Map<string, string[]>();
  for (const post of posts) {
    const tags = vocabulary.normalize(post.tags);
    canonical.set(post.postId, tags);
    documentFrequencies.add(terms(post.text).map((t) => t.term));
    features.set(post.postId, contentFeatures(post.text, tags));
  }
  const tagInferrer = TagInferrer.train(
    posts.map((p) => ({ features: features.get(p.postId)!, tags: canonical.get(p.postId)! })),
    { neighbours: options.tagInferrerNeighbours ?? 50 },
  );
  const known = engagements.filter((e) => features.has(e.postId));
  const pairs = coEngagedPairs(known, options.coEngagementWindow ?? 1);
  const encoder = ContentEncoder.train(
    [...features.values()],
    { dim: 100, ...options.encoder },
    (function* () {
      for (const [a, b] of pairs) yield [...features.get(a)!, ...features.get(b)!];
    })(),
  );

  const engagementCounts = new Map<string, number>();
  for (const e of known) engagementCounts.set(e.postId, (engagementCounts.get(e.postId) ?? 0) + 1);
  const targets = posts.map((p) => ({
    features: features.get(p.postId)!,
    engagement: Math.log1p(engagementCounts.get(p.postId) ?? 0),
  }));
  const prior = EngagementPrior.train(targets, { lambda: options.priorLambda ?? 5 });
  const predictions = targets.map((t) => prior.predict(t.features));
  const mean = predictions.reduce((s, x) => s + x, 0) / Math.max(1, predictions.length);
  const sd =
    Math.sqrt(
      predictions.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, predictions.length),
    ) || 1;

  const background = new Float32Array(encoder.dim);
  const vectors = new Map<string, Float32Array>();
  for (const e of known) {
    let v = vectors.get(e.postId);
    if (!v) vectors.set(e.postId, (v = encoder.encode(features.get(e.postId)!)));
    for (let i = 0; i < encoder.dim; i++) background[i]! += v[i]! / known.length;
  }
  return {
    vocabulary,
    documentFrequencies,
    tagInferrer,
    encoder,
    prior,
    priorScale: { mean, sd },
    background,
    trainedAtMs: options.trainedAtMs ?? Date.now(),
  };
}

export function encodeContentModels(models: TrainedContentModels): ContentModelsJson {
  return {
    format: CONTENT_MODELS_FORMAT,
    trainedAtMs: models.trainedAtMs,
    vocabulary: models.vocabulary.toJSON(),
    documentFrequencies: models.documentFrequencies.toJSON(2),
    tagInferrer: models.tagInferrer.toJSON(),
    encoder: models.encoder.toJSON(),
    prior: models.prior.toJSON(),
    priorScale: models.priorScale,
    background: Array.from(models.background),
  };
}

export function decodeContentModels(json: ContentModelsJson): TrainedContentModels {
  if (json.format !== CONTENT_MODELS_FORMAT) {
    throw new InvalidArgumentError(
      'format',
      `expected ${CONTENT_MODELS_FORMAT}, got ${String(json.format)}`,
    );
  }
  return {
    vocabulary: TagVocabulary.fromJSON(json.vocabulary),
    documentFrequencies: DocumentFrequencies.fromJSON(json.documentFrequencies),
    tagInferrer: TagInferrer.fromJSON(json.tagInferrer),
    encoder: ContentEncoder.fromJSON(json.encoder),
    prior: EngagementPrior.fromJSON(json.prior),
    priorScale: json.priorScale,
    background: Float32Array.from(json.background),
    trainedAtMs: json.trainedAtMs,
  };
}

export interface ContentScoreOptions {
  /** How much of the background (what everyone engages with) to take out of the profile. */
  readonly centering?: number;
  /** Weight of the engagement prior's z-score beside the similarity. */
  readonly priorWeight?: number;
}

/**
 * Scores posts for one user by content alone, for the content-similarity candidate source:
 * similarity of each post's vector to the user's profile with the background taken out (so
 * a profile says what the user likes more than others), plus a little of what the post's
 * content predicts about engagement. Needs no engagement on the posts.
 */
export class ContentScorer {
  readonly #query: Float32Array;
  readonly #priorWeight: number;

  constructor(
    profileVector: ArrayLike<number>,
    models: TrainedContentModels,
    options: ContentScoreOptions = {},
  ) {
    const centering = options.centering ?? 2;
    this.#priorWeight = options.priorWeight ?? 0.1;
    this.#query = Float32Array.from(
      { length: models.encoder.dim },
      (_, i) => (profileVector[i] ?? 0) - centering * models.background[i]!,
    );
  }

  /** The score of a post from its vector and its engagementPriorZ (computed once per post). */
  score(vector: ArrayLike<number>, priorZ: number): number {
    return denseDot(this.#query, vector) + this.#priorWeight * priorZ;
  }
}

/** What a post's content predicts about its engagement, as a z-score over the training posts. */
export function engagementPriorZ(
  models: TrainedContentModels,
  features: readonly string[],
): number {
  return (models.prior.predict(features) - models.priorScale.mean) / models.priorScale.sd;
}

/** Pairs of posts a user engaged with within `window` steps of each other, in time order. */
function coEngagedPairs(
  engagements: readonly TrainingEngagement[],
  window: number,
): Array<[string, string]> {
  const byUser = new Map<string, TrainingEngagement[]>();
  for (const e of engagements) {
    let list = byUser.get(e.userId);
    if (!list) byUser.set(e.userId, (list = []));
    list.push(e);
  }
  const pairs: Array<[string, string]> = [];
  for (const list of byUser.values()) {
    list.sort((a, b) => a.atMs - b.atMs || (a.postId < b.postId ? -1 : 1));
    for (let i = 1; i < list.length; i++) {
      for (let back = 1; back <= window && back <= i; back++)
        pairs.push([list[i - back]!.postId, list[i]!.postId]);
    }
  }
  return pairs;
}
