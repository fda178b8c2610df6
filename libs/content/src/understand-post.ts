import type { ContentEncoder } from './content-encoder.js';
import { DocumentFrequencies } from './document-frequencies.js';
import { contentFeatures } from './features.js';
import { extractKeywords, type Keyword } from './keywords.js';
import { detectLanguage } from './language.js';
import { MinHasher } from './minhash.js';
import { qualitySignals, spamScore, type QualitySignals } from './quality-signals.js';
import type { InferredTag, TagInferrer } from './tag-inferrer.js';
import { TagVocabulary } from './tag-vocabulary.js';
import { shingles } from './text.js';

export interface PostContent {
  readonly text: string;
  readonly tags: readonly string[];
  readonly blogId: string;
  readonly createdAtMs: number;
}

/**
 * The trained parts post understanding uses. Every one is optional: without them a post
 * still gets language, rule-normalized tags, keywords by TF alone, signals and a signature.
 */
export interface ContentModels {
  readonly vocabulary?: TagVocabulary;
  readonly documentFrequencies?: DocumentFrequencies;
  readonly tagInferrer?: TagInferrer;
  readonly encoder?: ContentEncoder;
  /** Must be the same hasher (length, seed) as the NearDuplicateIndex's signatures. */
  readonly minHasher?: MinHasher;
}

export interface UnderstandOptions {
  readonly keywordLimit?: number;
  /** Posts with fewer canonical tags than this get inferred tags. */
  readonly inferBelowTags?: number;
  readonly inferredTagLimit?: number;
  /** Inferred tags below this vote share are not worth listing. */
  readonly minInferredScore?: number;
}

export interface PostUnderstanding {
  /** ISO 639-3, "und" when too short to tell. */
  readonly language: string;
  /** Canonical tags: normalized and with learned synonyms mapped. */
  readonly tags: readonly string[];
  readonly keywords: readonly Keyword[];
  /** Tags the model adds to a post with few or none; empty without a tag inferrer. */
  readonly inferredTags: readonly InferredTag[];
  /** The content vector, or undefined without an encoder. */
  readonly vector: Float32Array | undefined;
  readonly signals: QualitySignals;
  /** Spam score from this post alone (SpamSignalTracker adds bursts and reposts). */
  readonly spamScore: number;
  /** MinHash signature of the text's word 3-shingles, for near-duplicate lookups. */
  readonly minhash: readonly number[];
}

const EMPTY_DF = new DocumentFrequencies();
const RULES_ONLY = TagVocabulary.empty();
const DEFAULT_HASHER = new MinHasher();

/**
 * What a post is about, from its text and tags: pure and synchronous (no I/O), a fraction of
 * a millisecond for a typical post, so ingestion consumers call it inline.
 */
export function understandPost(
  post: PostContent,
  models: ContentModels = {},
  options: UnderstandOptions = {},
): PostUnderstanding {
  const vocabulary = models.vocabulary ?? RULES_ONLY;
  const tags = vocabulary.normalize(post.tags);
  const features = contentFeatures(post.text, tags);
  const inferredTags =
    models.tagInferrer && tags.length < (options.inferBelowTags ?? 3)
      ? models.tagInferrer.infer(features, {
          limit: options.inferredTagLimit ?? 5,
          exclude: tags,
          minScore: options.minInferredScore ?? 0.1,
        })
      : [];
  const signals = qualitySignals(post.text, post.tags, tags.length);
  return {
    language: detectLanguage(post.text),
    tags,
    keywords: extractKeywords(
      post.text,
      models.documentFrequencies ?? EMPTY_DF,
      options.keywordLimit ?? 10,
    ),
    inferredTags,
    vector: models.encoder?.encode([...features, ...inferredTags.map((t) => `#${t.tag}`)]),
    signals,
    spamScore: spamScore(signals),
    minhash: (models.minHasher ?? DEFAULT_HASHER).signature(shingles(post.text)),
  };
}
