/**
 * Content understanding: what a post is about, from its text and tags, so posts with no
 * engagement yet can be matched to people.
 *
 *   // trainer (offline)
 *   const models = trainContentModels(posts, engagements);
 *   publish(JSON.stringify(encodeContentModels(models)));
 *
 *   // an ingestion consumer (per PostCreated, synchronous)
 *   const models = decodeContentModels(JSON.parse(artifact));
 *   const understood = understandPost({ text, tags, blogId, createdAtMs }, models);
 *   const spam = tracker.observe({ postId, blogId, createdAtMs }, understood);   // SpamSignalTracker
 *
 *   // a user's interests (feature-store) and the content candidate source
 *   const profile = buildInterestProfile(engagedPosts, { dim: models.encoder.dim });
 *   const scorer = new ContentScorer(profile.vector, models);
 *   scorer.score(post.vector, post.priorZ);
 */
export {
  understandPost,
  type ContentModels,
  type PostContent,
  type PostUnderstanding,
  type UnderstandOptions,
} from './understand-post.js';
export {
  CONTENT_MODELS_FORMAT,
  ContentScorer,
  decodeContentModels,
  encodeContentModels,
  engagementPriorZ,
  trainContentModels,
  type ContentModelTrainingOptions,
  type ContentModelsJson,
  type ContentScoreOptions,
  type TrainedContentModels,
  type TrainingEngagement,
  type TrainingPost,
} from './content-models.js';
export {
  TagVocabulary,
  compactTag,
  tagKey,
  type TagVocabularyJson,
  type TagVocabularyOptions,
} from './tag-vocabulary.js';
export { decodeCharacterReferences } from './character-references.js';
export { DocumentFrequencies, type DocumentFrequenciesJson } from './document-frequencies.js';
export { extractKeywords, type Keyword } from './keywords.js';
export { UNDETERMINED_LANGUAGE, detectLanguage } from './language.js';
export { findLinks, shingles, stem, terms, UNSPACED_SCRIPT, words, type Term } from './text.js';
export { TAG_FEATURE_PREFIX, contentFeatures } from './features.js';
export {
  qualitySignals,
  spamScore,
  type QualitySignals,
  type QualityThresholds,
} from './quality-signals.js';
export { MinHasher, signatureSimilarity, type MinHasherOptions } from './minhash.js';
export {
  NearDuplicateIndex,
  type NearDuplicate,
  type NearDuplicateIndexOptions,
} from './near-duplicate-index.js';
export {
  PostingBurstDetector,
  type PostingBurst,
  type PostingBurstDetectorOptions,
} from './burst-detector.js';
export {
  SpamSignalTracker,
  type PostSpamSignals,
  type SpamSignalTrackerOptions,
} from './spam-signal-tracker.js';
export {
  TagInferrer,
  type InferredTag,
  type TagInferrerJson,
  type TagInferrerOptions,
  type TaggedExample,
} from './tag-inferrer.js';
export {
  CONTENT_ENCODER_FORMAT,
  ContentEncoder,
  denseDot,
  normalizeDense,
  type ContentEncoderJson,
  type ContentEncoderTrainingOptions,
} from './content-encoder.js';
export {
  EngagementPrior,
  type EngagementExample,
  type EngagementPriorJson,
  type EngagementPriorOptions,
} from './engagement-prior.js';
export {
  buildInterestProfile,
  type EngagedPost,
  type InterestProfile,
  type InterestProfileOptions,
  type NamedInterest,
} from './interest-profile.js';
export {
  coldStartEval,
  runColdStartEval,
  type ColdStartEvalOptions,
  type ColdStartEvalReport,
  type ColdStartMethodReport,
} from './cold-start-eval.js';
export {
  runTagInferenceEval,
  tagInferenceEval,
  type TagInferenceEvalOptions,
  type TagInferenceEvalReport,
  type TagInferenceMethodReport,
} from './tag-inference-eval.js';
export {
  parseMovieTags,
  readMovieLensContent,
  splitTitle,
  type MovieLensContent,
  type MovieTag,
} from './movielens-content.js';
export {
  InMemoryContentModelStore,
  RedisContentModelStore,
  contentModelStoreFor,
  type ContentModelStore,
  type ContentModelsVersion,
  type RedisContentModelStoreOptions,
} from './content-model-store.js';
export {
  ContentModelsWatcher,
  type ContentModelsWatcherOptions,
  type WatcherLogger,
} from './content-models-watcher.js';
