import {
  isMissing,
  type candidatesv1,
  type commonv1,
  type gatewayv1,
  type rankerv1,
} from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import { throwIfAborted } from 'abort-controller-x';
import type { Logger } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import { plannedDeadlineMs } from '../caller-deadline.js';
import type { Downstream } from '../downstream.js';
import type { CursorCodec } from './cursor.js';
import {
  column,
  FeaturesHydrator,
  servedFeatureMissing,
  servedFeatureValues,
  type HydratedFeatures,
} from './features.hydrator.js';
import {
  seenBefore,
  UNKNOWN_USER,
  type FeedCandidate,
  type FeedQuery,
  type Filter,
  type Selector,
} from './feed-query.js';
import { BlockedCreatorFilter } from './filters/blocked-creator.filter.js';
import { DuplicateReblogFilter } from './filters/duplicate-reblog.filter.js';
import { HiddenPostFilter } from './filters/hidden-post.filter.js';
import { OwnPostFilter } from './filters/own-post.filter.js';
import { PreviouslyServedFilter } from './filters/previously-served.filter.js';
import type { FeedExperiments } from './feed-experiments.js';
import { createFeedMetrics, type FeedMetrics } from './feed-metrics.js';
import { ImpressionLoggingSideEffect, type ServedItem } from './impression-logging.side-effect.js';
import { MeshCandidateSource, PopularFallback } from './mesh-candidate.source.js';
import { RankerScorer, SourceScoreScorer } from './scorers.js';
import { AuthorDiversitySelector } from './selectors/author-diversity.selector.js';
import { FreshnessSelector } from './selectors/freshness.selector.js';
import { InNetworkBalanceSelector } from './selectors/in-network-balance.selector.js';
import type { MixerParams } from './selectors/mixer-params.js';
import { NewCreatorQuotaSelector } from './selectors/new-creator-quota.selector.js';
import { StageClock } from './stage-clock.js';
import { UserContextHydrator } from './user-context.hydrator.js';
import { newRequestId } from '../request-id.js';

export interface FeedPipelineConfig {
  /** The whole GetFeed, ms; less when the caller's deadline comes sooner (see run). */
  readonly deadlineMs: number;
  /** Kept back from a caller's deadline for the page to be finished and reach it, ms. */
  readonly responseMarginMs: number;
  /** Per-stage budgets, ms; each stage also stops at what is left of the deadline. */
  readonly budgets: {
    readonly userContext: number;
    readonly candidates: number;
    readonly features: number;
    readonly ranking: number;
    /** Describing the page's posts (summary, tags), after selection. */
    readonly describe: number;
  };
  readonly maxCandidates: number;
  readonly model: string;
  readonly weights: readonly rankerv1.ObjectiveWeight[];
  /** Candidates whose `post.spam_score` reaches this are filtered out (1: keep all). */
  readonly spamThreshold: number;
  /** The mixer's defaults; an experiment variant may override them per request. */
  readonly mixer: MixerParams;
}

export interface FeedRequest {
  readonly userId: string;
  readonly surface: commonv1.Surface;
  readonly tag: string;
  readonly pageSize: number;
  readonly cursor: string;
}

const NO_MISSING = new Uint8Array(0);
/** DescribePosts calls for one page: the page, then the places of deleted posts, twice at most. */
const DESCRIBE_ROUNDS = 3;

const DEFAULT_REASONS: Record<string, string> = {
  following: 'from a blog you follow',
  popular: 'popular right now',
  fresh: 'new creator',
  tags: 'from a tag you like',
  trending: 'trending',
  content: 'about something you like',
  session: 'engaged right before or after what you engaged with',
  embeddings: 'similar to what you engaged with',
  'co-engagement': 'liked by people who like what you like',
};

/**
 * GetFeed as configuration (DESIGN.md "The feed pipeline"): query hydration, candidates,
 * filters (cheapest first), candidate hydration, scoring, selection, side effects. Every
 * stage past the request's own validation fails open: the feed gets smaller or less
 * personal, and `degraded` says which stage and why.
 */
export class FeedPipeline {
  private readonly userContext: UserContextHydrator;
  private readonly candidateSource: MeshCandidateSource;
  private readonly popularFallback = new PopularFallback();
  /** Set lookups, before candidate hydration. */
  private readonly filters: readonly Filter[] = [
    new PreviouslyServedFilter(),
    new HiddenPostFilter(),
    new BlockedCreatorFilter(),
    new OwnPostFilter(),
  ];
  /** One per root, after deleted and spam posts are dropped (they must not win a root). */
  private readonly duplicateReblogs = new DuplicateReblogFilter();
  private readonly featuresHydrator: FeaturesHydrator;
  private readonly rankerScorer: RankerScorer;
  private readonly fallbackScorer = new SourceScoreScorer();
  private readonly selectors: readonly Selector[];
  private readonly impressions: ImpressionLoggingSideEffect;
  private readonly metrics: FeedMetrics = createFeedMetrics();

  constructor(
    private readonly deps: {
      readonly downstream: Downstream;
      readonly eventLog: EventLog;
      readonly cursors: CursorCodec;
      readonly logger: Logger;
      readonly config: FeedPipelineConfig;
      readonly experiments: FeedExperiments;
      readonly now: () => number;
    },
  ) {
    this.userContext = new UserContextHydrator(deps.downstream.featureStore);
    this.candidateSource = new MeshCandidateSource(
      deps.downstream.candidates,
      deps.config.maxCandidates,
    );
    this.featuresHydrator = new FeaturesHydrator(deps.downstream.featureStore);
    this.rankerScorer = new RankerScorer(deps.downstream.ranker);
    // Rescore, then spread authors, then the page's quotas: the later a selector, the surer
    // its guarantee holds on the page.
    const mixer = (query: FeedQuery) => query.mixer;
    this.selectors = [
      new FreshnessSelector(mixer, deps.now),
      new AuthorDiversitySelector(mixer),
      new InNetworkBalanceSelector(mixer),
      new NewCreatorQuotaSelector(mixer),
    ];
    this.impressions = new ImpressionLoggingSideEffect(deps.eventLog, deps.logger, this.metrics);
  }

  /**
   * One GetFeed, planned for FEED_DEADLINE_MS, or for less when the caller stops waiting sooner
   * (`callerRemainingMs`: what is left of its deadline, undefined when it sent none): then for
   * that, less the response margin.
   */
  run(
    request: FeedRequest,
    signal: AbortSignal,
    callerRemainingMs?: number,
  ): Promise<gatewayv1.GetFeedResponse> {
    const { config } = this.deps;
    const deadlineMs = plannedDeadlineMs(
      config.deadlineMs,
      callerRemainingMs,
      config.responseMarginMs,
    );
    return withSpan(
      'feed.pipeline',
      {
        'feedmesh.user_id': request.userId,
        'feedmesh.surface': request.surface,
        'feedmesh.page_size': request.pageSize,
        'feedmesh.deadline_ms': deadlineMs,
      },
      async (span) => {
        const response = await this.runStages(request, signal, deadlineMs, span);
        span.setAttributes({
          'feedmesh.request_id': response.requestId,
          'feedmesh.items': response.items.length,
          'feedmesh.model': response.model,
          'feedmesh.degraded': response.degraded.map((d) => d.component),
        });
        return response;
      },
    );
  }

  private async runStages(
    request: FeedRequest,
    signal: AbortSignal,
    deadlineMs: number,
    span: { setAttribute(key: string, value: number): unknown; isRecording(): boolean },
  ): Promise<gatewayv1.GetFeedResponse> {
    const { config } = this.deps;
    const cursor = request.cursor
      ? this.deps.cursors.decode(request.cursor, request)
      : { position: 0, served: [] as readonly string[] };
    const variant = this.deps.experiments.variantFor(request.userId);
    const query: FeedQuery = {
      requestId: newRequestId(),
      userId: request.userId,
      surface: request.surface,
      tag: request.tag,
      pageSize: request.pageSize,
      position: cursor.position,
      servedInSession: new Set(cursor.served),
      clock: new StageClock(deadlineMs, signal, this.deps.now),
      user: UNKNOWN_USER,
      mixer: variant.mixer(config.mixer),
      exposure: variant.exposure,
      sourceBudgets: variant.sourceBudgets,
    };
    const degraded: commonv1.Degradation[] = [];

    query.user =
      (await this.stage(
        query,
        degraded,
        'feature-store',
        'user context unavailable; not personalized',
        () =>
          this.userContext.hydrate(
            query.userId,
            query.clock.budget('user-context', config.budgets.userContext),
            signal,
          ),
      )) ?? UNKNOWN_USER;

    const generation = await this.candidates(query, degraded);
    let candidates = generation.candidates;
    span.setAttribute('feedmesh.candidates.generated', candidates.length);
    // A filter's span only where the trace is recorded: an unsampled feed skips making five
    // spans that would be dropped anyway.
    const traced = span.isRecording();
    const runFilter = async (filter: Filter, input: FeedCandidate[]) =>
      traced
        ? await withSpan(`filter ${filter.name}`, { 'feedmesh.candidates.in': input.length }, () =>
            filter.filter(query, input),
          )
        : filter.filter(query, input);
    for (const filter of this.filters) candidates = await runFilter(filter, candidates);

    const features = candidates.length
      ? await this.stage(
          query,
          degraded,
          'feature-store',
          'features unavailable; ordered by source score and recency',
          () =>
            this.featuresHydrator.hydrate(
              query.userId,
              candidates,
              query.clock.budget('features', config.budgets.features),
              signal,
            ),
        )
      : undefined;
    const rows = new Map(candidates.map((candidate, row) => [candidate, row]));
    if (features) {
      candidates = dropDeleted(candidates, rows, features);
      candidates = dropSpam(candidates, rows, features, config.spamThreshold);
      markNewCreators(candidates, rows, features);
    }
    candidates = await runFilter(this.duplicateReblogs, candidates);
    span.setAttribute('feedmesh.candidates.filtered', candidates.length);

    let model = '';
    if (features && candidates.length > 0) {
      const scored = this.keepRows(candidates, rows, features);
      model =
        (await this.stage(
          query,
          degraded,
          'ranker',
          'ranker unavailable; ordered by source score and recency',
          () =>
            this.rankerScorer.score(
              candidates,
              scored,
              {
                model: variant.model ?? config.model,
                weights: [...(variant.objectiveWeights ?? config.weights)],
              },
              query.clock.budget('ranking', config.budgets.ranking),
              signal,
            ),
        )) ?? '';
    }
    if (!model) this.fallbackScorer.score(candidates, this.deps.now());

    for (const selector of this.selectors) candidates = selector.select(query, candidates);
    const { page, descriptions, gone } = await this.describePage(query, candidates, degraded);

    const served: ServedItem[] = page.map((candidate, index) => {
      const item = toFeedItem(
        candidate,
        query.position + index,
        descriptions?.get(candidate.postId),
      );
      const { reblogOf } = candidate;
      const row = rows.get(candidate);
      if (!features || row === undefined) {
        return { item, reblogOf, featureValues: [], featureMissing: NO_MISSING };
      }
      return {
        item,
        reblogOf,
        featureValues: servedFeatureValues(features, row),
        featureMissing: servedFeatureMissing(features, row),
      };
    });
    // A caller that gave up (its deadline, a cancel) never sees the page: logged, its posts
    // would count as served, kept from every later page, and train the model as not engaged with.
    throwIfAborted(signal);
    this.impressions.run(query, served, {
      model,
      featureSchema: features?.schema ?? '',
      atMs: this.deps.now(),
    });

    // The feed goes on after a full page (short only of the deleted posts it left out counts)
    // while candidates are left, or candidate-generation may have more (it returned all it was
    // asked for: the next page asks it to skip this one's). A degraded candidate-generation does
    // not end it: the next page asks it again.
    const looked = page.length + gone.length;
    const more =
      generation.degraded ||
      (looked >= query.pageSize && (candidates.length > looked || generation.mayHaveMore));
    const nextCursor = more
      ? this.deps.cursors.encode({
          userId: query.userId,
          surface: query.surface,
          tag: query.tag,
          position: query.position + page.length,
          // The roots too: neither the original nor another reblog of it comes back. The deleted
          // posts left out too, so that the next page does not ask for them again.
          served: [
            ...cursor.served,
            ...[...page, ...gone].flatMap((c) =>
              c.reblogOf ? [c.postId, c.reblogOf] : [c.postId],
            ),
          ],
        })
      : '';
    for (const { component } of degraded) this.metrics.degraded(component);
    return {
      requestId: query.requestId,
      items: served.map((s) => s.item),
      nextCursor,
      degraded,
      experiments: [...query.exposure],
      model,
    };
  }

  private async candidates(
    query: FeedQuery,
    degraded: commonv1.Degradation[],
  ): Promise<{ candidates: FeedCandidate[]; mayHaveMore: boolean; degraded: boolean }> {
    // What the filters would drop anyway, so that the sources propose posts not yet served:
    // this session's (the likeliest to come back), hidden posts, then what the user was served
    // or engaged with before.
    const exclude = new Set([
      ...query.servedInSession,
      ...query.user.hiddenPosts,
      ...seenBefore(query),
    ]);
    const generated = await this.stage(
      query,
      degraded,
      'candidate-generation',
      'candidate generation unavailable; served the cached popular list',
      () =>
        this.candidateSource.generate(
          {
            userId: query.userId,
            surface: query.surface,
            tag: query.tag,
            exclude: [...exclude],
            sourceBudgets: query.sourceBudgets,
          },
          query.clock.budget('candidates', this.deps.config.budgets.candidates),
          query.clock.signal,
        ),
    );
    if (!generated) {
      const candidates = this.popularFallback.candidates(query.surface, query.tag);
      return { candidates, mayHaveMore: false, degraded: true };
    }
    if (generated.malformed > 0) {
      this.deps.logger.warn(
        { requestId: query.requestId, malformed: generated.malformed },
        'candidate-generation proposed candidates with malformed ids; left out',
      );
    }
    for (const source of generated.droppedSources) {
      degraded.push({ component: `source:${source.source}`, reason: source.error || 'dropped' });
    }
    this.popularFallback.remember(query.surface, query.tag, generated.candidates);
    return {
      candidates: generated.candidates,
      mayHaveMore: generated.full,
      degraded: generated.droppedSources.length > 0,
    };
  }

  /**
   * The page, from the selected candidates in order, and its display fields: candidates arrive
   * without them (the ranking view), so only what is served is described. DescribePosts leaves
   * out deleted and unknown posts (deleted since they were proposed, or while the feature store
   * could not say so): those are not served (`gone`), and the next candidates take their places,
   * described in turn, for at most DESCRIBE_ROUNDS calls within the deadline. When describing
   * fails, what is left to describe is served without summaries and tags, as it is.
   */
  private async describePage(
    query: FeedQuery,
    candidates: readonly FeedCandidate[],
    degraded: commonv1.Degradation[],
  ): Promise<{
    page: FeedCandidate[];
    descriptions: Map<string, candidatesv1.PostDescription> | undefined;
    gone: FeedCandidate[];
  }> {
    const page: FeedCandidate[] = [];
    const gone: FeedCandidate[] = [];
    const descriptions = new Map<string, candidatesv1.PostDescription>();
    let next = 0;
    for (let round = 0; round < DESCRIBE_ROUNDS && page.length < query.pageSize; round++) {
      const asked = candidates.slice(next, next + query.pageSize - page.length);
      if (asked.length === 0) break;
      const described = await this.stage(
        query,
        degraded,
        'candidate-generation',
        round === 0
          ? 'post descriptions unavailable; items without summary and tags'
          : 'post descriptions unavailable; the page is short of the deleted posts left out',
        () =>
          this.candidateSource.describe(
            asked,
            query.clock.budget('describe', this.deps.config.budgets.describe),
            query.clock.signal,
          ),
      );
      // Undescribed on the first call, the page is served as it is; on a later one, it is
      // served short of the places the deleted posts left.
      if (!described) {
        if (round === 0) return { page: asked, descriptions: undefined, gone };
        break;
      }
      next += asked.length;
      for (const candidate of asked) {
        const description = described.get(candidate.postId);
        if (description === undefined) {
          gone.push(candidate);
          continue;
        }
        page.push(candidate);
        descriptions.set(candidate.postId, description);
      }
    }
    if (gone.length > 0) {
      this.deps.logger.info(
        { requestId: query.requestId, posts: gone.map((c) => c.postId) },
        'posts left out of the page: DescribePosts says they are deleted',
      );
    }
    return { page, descriptions, gone };
  }

  /**
   * The feature rows of the candidates still standing, in their order, with their bits of the
   * missing bitset (the ranker gives a missing value the model's default, as the trainer does
   * with the impressions' logged bits). The usual case, nothing dropped, is the hydrated matrix
   * itself.
   */
  private keepRows(
    candidates: readonly FeedCandidate[],
    rows: ReadonlyMap<FeedCandidate, number>,
    features: HydratedFeatures,
  ): HydratedFeatures {
    const { names, values: all, missing: allMissing } = features.candidates;
    const width = names.length;
    const inOrder =
      candidates.length === features.candidates.rows &&
      candidates.every((candidate, i) => rows.get(candidate) === i);
    if (inOrder && all.length === candidates.length * width) return features;
    // A row the store did not answer (a short matrix) is zeros, as it always was.
    const values = new Float32Array(candidates.length * width);
    const anyMissing = allMissing.some((byte) => byte !== 0);
    const missing = anyMissing ? new Uint8Array(Math.ceil(values.length / 8)) : NO_MISSING;
    candidates.forEach((candidate, i) => {
      const start = (rows.get(candidate) ?? 0) * width;
      values.set(all.subarray(start, Math.min(start + width, all.length)), i * width);
      if (!anyMissing) return;
      for (let c = 0; c < width; c++) {
        if (isMissing(allMissing, start + c)) {
          const at = i * width + c;
          missing[at >> 3]! |= 1 << (at & 7);
        }
      }
    });
    return { ...features, candidates: { names, rows: candidates.length, values, missing } };
  }

  /**
   * Runs a stage that may fail open: on any error, records the degradation (one per failing
   * stage, so a service may be named twice, with each stage's reason) and returns undefined.
   */
  private async stage<T>(
    query: FeedQuery,
    degraded: commonv1.Degradation[],
    component: string,
    reason: string,
    run: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      // One line, no stack: a stage failing open is expected under load or an outage (the
      // response names it in degraded), and a stack per feed would flood the logs.
      this.deps.logger.warn(
        {
          requestId: query.requestId,
          userId: query.userId,
          surface: query.surface,
          component,
          reason,
          error: detail,
        },
        'feed stage failed open',
      );
      degraded.push({ component, reason: `${reason} (${detail})` });
      return undefined;
    }
  }
}

/** Posts whose own text and tags score as spam (`post.spam_score`, libs/content) are not served. */
function dropSpam(
  candidates: FeedCandidate[],
  rows: ReadonlyMap<FeedCandidate, number>,
  features: HydratedFeatures,
  threshold: number,
): FeedCandidate[] {
  const spam = column(features.candidates, 'post.spam_score');
  if (!spam || threshold >= 1) return candidates;
  return candidates.filter((candidate) => spam(rows.get(candidate) ?? -1) < threshold);
}

function dropDeleted(
  candidates: FeedCandidate[],
  rows: ReadonlyMap<FeedCandidate, number>,
  features: HydratedFeatures,
): FeedCandidate[] {
  const deleted = column(features.candidates, 'post.deleted');
  if (!deleted) return candidates;
  return candidates.filter((candidate) => deleted(rows.get(candidate) ?? -1) < 0.5);
}

/** Candidate hydration's note for the new-creator quota: the store's `blog.is_new_creator`. */
function markNewCreators(
  candidates: readonly FeedCandidate[],
  rows: ReadonlyMap<FeedCandidate, number>,
  features: HydratedFeatures,
): void {
  const isNew = column(features.candidates, 'blog.is_new_creator');
  if (!isNew) return;
  for (const candidate of candidates) {
    const row = rows.get(candidate);
    if (row !== undefined) candidate.newCreator = isNew(row) >= 0.5;
  }
}

function toFeedItem(
  candidate: FeedCandidate,
  position: number,
  description: candidatesv1.PostDescription | undefined,
): gatewayv1.FeedItem {
  const best = candidate.sources[0];
  const source = best?.source ?? 'unknown';
  return {
    postId: candidate.postId,
    blogId: candidate.blogId,
    source,
    sources: candidate.sources.map((s) => s.source),
    score: candidate.score,
    reason: best?.reason || DEFAULT_REASONS[source] || `from ${source}`,
    position,
    tags: [...(description?.tags ?? candidate.tags)],
    createdAtMs: candidate.createdAtMs,
    summary: description?.summary ?? candidate.summary,
  };
}
