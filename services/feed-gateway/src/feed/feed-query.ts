import { commonv1, type candidatesv1, type featuresv1 } from '@feedmesh/contracts';
import type { MixerParams } from './selectors/mixer-params.js';
import type { StageClock } from './stage-clock.js';

/** What the pipeline knows about the reader once query hydration ran (or failed open). */
export interface UserContext {
  readonly known: boolean;
  readonly features: featuresv1.FeatureVector | undefined;
  /**
   * Posts the reader was served or engaged with before (the feature store's lists), and the
   * originals of the reblogs among them, which the feature store lists beside them.
   */
  readonly served: ReadonlySet<string>;
  readonly hiddenPosts: ReadonlySet<string>;
  readonly blockedBlogs: ReadonlySet<string>;
  readonly followedBlogs: ReadonlySet<string>;
  readonly ownBlogs: ReadonlySet<string>;
}

export const UNKNOWN_USER: UserContext = {
  known: false,
  features: undefined,
  served: new Set(),
  hiddenPosts: new Set(),
  blockedBlogs: new Set(),
  followedBlogs: new Set(),
  ownBlogs: new Set(),
};

export interface FeedQuery {
  readonly requestId: string;
  readonly userId: string;
  readonly surface: commonv1.Surface;
  readonly tag: string;
  readonly pageSize: number;
  /** 0-based position of this page's first item across pages. */
  readonly position: number;
  /** Ids of the posts earlier pages of this session served, and of their roots (see cursor.ts). */
  readonly servedInSession: ReadonlySet<string>;
  readonly clock: StageClock;
  user: UserContext;
  /** How the selection stage composes the page: the defaults with the experiment's overrides. */
  readonly mixer: MixerParams;
  /** The experiments and variants the reader is in: logged with every impression. */
  readonly exposure: readonly commonv1.ExperimentAssignment[];
  /** Candidate source budgets the reader's variants set (empty: the surface's defaults). */
  readonly sourceBudgets: readonly candidatesv1.SourceBudget[];
}

export interface FeedCandidate {
  readonly postId: string;
  readonly blogId: string;
  readonly createdAtMs: number;
  readonly reblogOf: string;
  readonly tags: readonly string[];
  readonly summary: string;
  /** Every source that proposed it, best first. */
  readonly sources: readonly candidatesv1.SourceScore[];
  /** Ranking value; set by the scorer. */
  score: number;
  /** Its blog is a new creator's, as the feature store says (set at candidate hydration). */
  newCreator?: boolean;
}

/** A filter removes candidates the reader must not see. Cheap filters run first. */
export interface Filter {
  readonly name: string;
  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[];
}

/** A selector reorders or trims the scored candidates (diversity, quotas, the page). */
export interface Selector {
  readonly name: string;
  select(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[];
}

export function fromGenerated(candidate: candidatesv1.Candidate): FeedCandidate {
  return {
    postId: candidate.postId,
    blogId: candidate.blogId,
    createdAtMs: candidate.createdAtMs,
    reblogOf: candidate.reblogOf,
    tags: candidate.tags,
    summary: candidate.summary,
    sources: candidate.sources,
    score: 0,
  };
}

const NOTHING: ReadonlySet<string> = new Set();
const SURFACE_TAG = commonv1.Surface.SURFACE_TAG;

/**
 * What the reader met before this session that the page leaves out: everything they were
 * served or engaged with, except on a tag page, which is the tag's posts to browse and leaves
 * out only what its own earlier pages served (on the dashboard and "for you" a reader wants
 * what is new to them; a tag page read after them would otherwise run dry).
 */
export function seenBefore(query: FeedQuery): ReadonlySet<string> {
  return query.surface === SURFACE_TAG ? NOTHING : query.user.served;
}
