import type { Logger } from '@feedmesh/service-kit';
import { CandidateGenerator } from './candidate-generator.js';
import { CandidateIndexer } from './candidate-indexer.js';
import type { CandidateSettings } from './candidate-settings.js';
import type { CandidateSource } from './candidate-source.js';
import { DEFAULT_STORE_LIMITS, type CandidateStore, type StoreLimits } from './candidate-store.js';
import {
  CoEngagementCandidateSource,
  DEFAULT_CO_ENGAGEMENT_SETTINGS,
  type CoEngagementSettings,
} from './co-engagement.source.js';
import { ContentIndex } from './content-index.js';
import {
  ContentCandidateSource,
  DEFAULT_CONTENT_SOURCE_SETTINGS,
  type ContentSourceSettings,
} from './content.source.js';
import { EmbeddingIndex } from './embedding-index.js';
import {
  DEFAULT_EMBEDDINGS_SETTINGS,
  EmbeddingsCandidateSource,
  type EmbeddingsSettings,
} from './embeddings.source.js';
import { FollowingCandidateSource, DEFAULT_FOLLOWING_SETTINGS } from './following.source.js';
import {
  DEFAULT_FRESH_CREATORS_LIMITS,
  FreshCreatorsCandidateSource,
} from './fresh-creators.source.js';
import { PopularCandidateSource } from './popular.source.js';
import { RelatedIndex } from './related-index.js';
import {
  DEFAULT_RELATED_SETTINGS,
  RelatedCandidateSource,
  type RelatedSettings,
} from './related.source.js';
import { DEFAULT_SOURCE_BUDGETS, type SurfaceBudgets } from './source-budgets.js';
import {
  DEFAULT_SESSION_SETTINGS,
  SessionCandidateSource,
  type SessionSettings,
} from './session.source.js';
import type { SourceMetrics } from './source-metrics.js';
import { DEFAULT_TAGS_LIMITS, TagsCandidateSource } from './tags.source.js';
import { TrendingDetector } from './trending-detector.js';
import { TrendingCandidateSource } from './trending.source.js';

export interface CandidatePipelineOptions {
  readonly store: CandidateStore;
  readonly settings: CandidateSettings;
  readonly storeLimits?: StoreLimits;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics?: SourceMetrics;
  readonly defaultBudgets?: Readonly<Record<number, SurfaceBudgets>>;
  /** The served embeddings (loaded by the caller); default: an empty index. */
  readonly embeddings?: EmbeddingIndex;
  /** Per-source settings other than the defaults (the offline evaluation widens them). */
  readonly coEngagement?: CoEngagementSettings;
  readonly embeddingsSource?: EmbeddingsSettings;
  readonly session?: SessionSettings;
  /** The trainer's item-to-item model (loaded by the caller); default: an empty index. */
  readonly related?: RelatedIndex;
  readonly relatedSource?: RelatedSettings;
  /** What posts are about and what users like; default: an index without trained models. */
  readonly content?: ContentIndex;
  readonly contentSource?: ContentSourceSettings;
  /** Replaces the built sources (tests inject slow or failing ones). */
  readonly sources?: (built: readonly CandidateSource[]) => readonly CandidateSource[];
}

export interface CandidatePipeline {
  readonly indexer: CandidateIndexer;
  readonly embeddings: EmbeddingIndex;
  readonly content: ContentIndex;
  readonly related: RelatedIndex;
  readonly generator: CandidateGenerator;
  readonly trending: TrendingDetector;
  /** The sources the generator runs, in report order. */
  readonly sources: readonly CandidateSource[];
}

/** Assembles the indexer, the sources (in report order), the generator and the detector. */
export function assembleCandidatePipeline(options: CandidatePipelineOptions): CandidatePipeline {
  const { store, settings } = options;
  const limits = options.storeLimits ?? DEFAULT_STORE_LIMITS;
  const trending = new TrendingDetector(store, settings.trending, limits.trendBuckets);
  const embeddings = options.embeddings ?? new EmbeddingIndex();
  const content = options.content ?? new ContentIndex();
  const related = options.related ?? new RelatedIndex();
  const built: CandidateSource[] = [
    new FollowingCandidateSource(store, {
      ...DEFAULT_FOLLOWING_SETTINGS,
      recencyHalfLife: settings.recencyHalfLife,
      maxAgeMs: settings.retentionMs,
    }),
    new TagsCandidateSource(store, {
      ...DEFAULT_TAGS_LIMITS,
      affinityHalfLife: settings.affinityHalfLife,
      popularityHalfLife: settings.popularityHalfLife,
      recencyHalfLife: settings.recencyHalfLife,
      maxAgeMs: settings.retentionMs,
    }),
    new CoEngagementCandidateSource(store, options.coEngagement ?? DEFAULT_CO_ENGAGEMENT_SETTINGS),
    new SessionCandidateSource(store, options.session ?? DEFAULT_SESSION_SETTINGS),
    new EmbeddingsCandidateSource(
      store,
      embeddings,
      options.embeddingsSource ?? DEFAULT_EMBEDDINGS_SETTINGS,
    ),
    new RelatedCandidateSource(store, related, options.relatedSource ?? DEFAULT_RELATED_SETTINGS),
    new ContentCandidateSource(
      store,
      content,
      options.contentSource ?? DEFAULT_CONTENT_SOURCE_SETTINGS,
    ),
    new TrendingCandidateSource(trending, settings.trending.defaultWindowMs),
    new PopularCandidateSource(store, settings.popularityHalfLife),
    new FreshCreatorsCandidateSource(store, {
      ...DEFAULT_FRESH_CREATORS_LIMITS,
      maxAgeMs: settings.newCreatorMaxAgeMs,
      popularityHalfLife: settings.popularityHalfLife,
    }),
  ];
  const sources = options.sources ? options.sources(built) : built;
  const generator = new CandidateGenerator({
    store,
    sources,
    defaultBudgets: options.defaultBudgets ?? DEFAULT_SOURCE_BUDGETS,
    defaultTimeoutMs: settings.defaultSourceTimeoutMs,
    clock: options.clock,
    logger: options.logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return {
    indexer: new CandidateIndexer(store, settings, embeddings, undefined, content),
    embeddings,
    content,
    related,
    generator,
    trending,
    sources,
  };
}
