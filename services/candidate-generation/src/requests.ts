import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  requireEnum,
  requireId,
  requireIds,
  requireMaxItems,
  requirePageSize,
  requireRange,
  requireText,
} from '@feedmesh/service-kit';
import { normalizeTag } from './tags.js';

/** Limits of the contract (candidate_generation.proto). */
export const LIMITS = {
  maxCandidates: 5_000,
  sourceMaxCandidates: 5_000,
  sourceTimeoutMs: 10_000,
  sourceBudgets: 32,
  excludePostIds: 5_000,
  tagLength: 64,
  describePostIds: 500,
  trendingLimit: 100,
  trendingWindowS: 604_800,
} as const;

/** A request's budget for one source; `timeoutMs` 0 means the service default. */
export interface BudgetOverride {
  readonly maxCandidates: number;
  readonly timeoutMs: number;
}

/** A Generate request, validated. */
export interface GenerateQuery {
  readonly userId: string;
  readonly surface: commonv1.Surface;
  /** Normalized; set for SURFACE_TAG. */
  readonly tag: string | undefined;
  readonly maxCandidates: number;
  readonly budgets: ReadonlyMap<string, BudgetOverride>;
  readonly exclude: ReadonlySet<string>;
  /** RANKING: no summaries or tags, a reason on the best source only (see the proto). FULL when unset. */
  readonly view?: candidatesv1.CandidateView;
}

/**
 * Validates a Generate request field by field, in field order. `sourceNames` are the names a
 * budget may use; anything else is rejected naming `source_budgets[i].source`.
 */
export function parseGenerateRequest(
  request: candidatesv1.GenerateRequest,
  sourceNames: ReadonlySet<string>,
): GenerateQuery {
  const userId = requireId(request.userId, 'user_id');
  const surface = requireEnum(request.surface, commonv1.Surface, 'surface') as commonv1.Surface;
  const tag = parseTag(request.tag, surface);
  const maxCandidates = requireRange(
    request.maxCandidates,
    'max_candidates',
    1,
    LIMITS.maxCandidates,
  );
  requireMaxItems(request.sourceBudgets, 'source_budgets', LIMITS.sourceBudgets);
  const budgets = new Map<string, BudgetOverride>();
  request.sourceBudgets.forEach((budget, i) => {
    const field = `source_budgets[${i}]`;
    if (budget.source === '') throw new InvalidArgumentError(`${field}.source`, 'is required');
    if (!sourceNames.has(budget.source)) {
      throw new InvalidArgumentError(
        `${field}.source`,
        `unknown source ${JSON.stringify(budget.source)}; known: ${[...sourceNames].join(', ')}`,
      );
    }
    if (budgets.has(budget.source)) {
      throw new InvalidArgumentError(`${field}.source`, `${budget.source} is budgeted twice`);
    }
    budgets.set(budget.source, {
      maxCandidates: requireRange(
        budget.maxCandidates,
        `${field}.max_candidates`,
        0,
        LIMITS.sourceMaxCandidates,
      ),
      timeoutMs: requireRange(budget.timeoutMs, `${field}.timeout_ms`, 0, LIMITS.sourceTimeoutMs),
    });
  });
  const exclude = new Set(
    requireIds(request.excludePostIds, 'exclude_post_ids', LIMITS.excludePostIds),
  );
  const view =
    (requireEnum(request.view, candidatesv1.CandidateView, 'view', {
      allowUnspecified: true,
    }) as candidatesv1.CandidateView) || candidatesv1.CandidateView.CANDIDATE_VIEW_FULL;
  return { userId, surface, tag, maxCandidates, budgets, exclude, view };
}

/** A DescribePosts request, validated: its ids, 1-500, in order. */
export function parseDescribePostsRequest(
  request: candidatesv1.DescribePostsRequest,
): readonly string[] {
  if (request.postIds.length === 0) throw new InvalidArgumentError('post_ids', 'is required');
  return requireIds(request.postIds, 'post_ids', LIMITS.describePostIds);
}

function parseTag(raw: string, surface: commonv1.Surface): string | undefined {
  if (raw === '') {
    if (surface === commonv1.Surface.SURFACE_TAG) {
      throw new InvalidArgumentError('tag', 'is required for SURFACE_TAG');
    }
    return undefined;
  }
  requireText(raw, 'tag', { max: LIMITS.tagLength });
  if (raw.startsWith('#')) throw new InvalidArgumentError('tag', "must not start with '#'");
  const tag = normalizeTag(raw);
  if (tag === '') throw new InvalidArgumentError('tag', 'must not be blank');
  return tag;
}

/** A Trending request, validated. */
export interface TrendingQuery {
  readonly limit: number;
  /** 0 when the request left the default to the service. */
  readonly windowMs: number;
}

export function parseTrendingRequest(request: candidatesv1.TrendingRequest): TrendingQuery {
  const limit = requirePageSize(request.limit, 'limit', LIMITS.trendingLimit);
  const windowS = requireRange(request.windowS, 'window_s', 0, LIMITS.trendingWindowS);
  return { limit, windowMs: windowS * 1000 };
}
