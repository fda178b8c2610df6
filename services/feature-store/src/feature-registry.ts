/**
 * The feature registry: every feature the store serves, declared once. Serving order (the
 * columns of GetFeatures), the packed state layout in Redis and the schema version all derive
 * from these declarations; adding a feature is one entry here, plus an update rule in
 * `update-rules.ts` when it needs a signal or attribute nobody emits yet.
 *
 * Everything kept here has a time to live or a cap, so memory stays bounded.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type EntityKind = 'user' | 'post' | 'blog' | 'user_blog' | 'user_tag';

/**
 * What each entity counts with decayed counters. A signal is raised by an update rule with a
 * weight (usually 1); a feature reads it at a half-life.
 */
export const SIGNALS = {
  user: [
    'like',
    'reblog',
    'reply',
    'share',
    'click',
    'hide',
    'report',
    'engagement',
    'impression',
    'session',
  ],
  post: ['like', 'reblog', 'reply', 'share', 'click', 'hide', 'report', 'engagement', 'impression'],
  blog: ['post', 'engagement', 'hide'],
  user_blog: ['engagement', 'hide', 'affinity'],
  user_tag: ['affinity'],
} as const satisfies Record<EntityKind, readonly string[]>;

export type SignalOf<E extends EntityKind> = (typeof SIGNALS)[E][number];

/**
 * How a stored attribute merges a new value, so that any delivery order ends in the same state:
 * `max`/`min` keep the extreme, `add` sums deltas (stopping at its `floor`, if it has one: see
 * there), `set` is for what a post's creation writes: only the winning PostCreated's (the
 * earliest, see `Creation` in post-meta.ts) and only with its meta, in the same atomic write,
 * so order cannot matter.
 */
export type Merge = 'max' | 'min' | 'add' | 'set';

export interface AttributeDeclaration {
  readonly merge: Merge;
  /** Value before any event set it; NaN means unknown, served as the feature's default. */
  readonly initial: number;
  /**
   * `add` only: the value never goes below it (a count: 0), each change applied as if one by
   * one (a batch's changes folded together end where they would one at a time), and served
   * at least at it. For a count whose state can expire while what it counts lives on: a
   * blog's state (180 days) forgets followers whose following sets (365 days) still hold it,
   * and their unfollows would take the fresh count below 0.
   */
  readonly floor?: number;
  readonly description: string;
}

export interface EntityDeclaration<E extends EntityKind> {
  /** How long the entity's state lives after its last update. */
  readonly ttlMs: number;
  readonly attributes: Record<AttributeOf<E>, AttributeDeclaration>;
  readonly description: string;
}

const UNSET = Number.NaN;

export const ENTITIES = {
  user: {
    ttlMs: 90 * DAY_MS,
    description: 'Someone reading the site, keyed by user id.',
    attributes: {
      last_session_at: { merge: 'max', initial: UNSET, description: 'Latest SessionStarted, ms.' },
      last_active_at: {
        merge: 'max',
        initial: UNSET,
        description: 'Latest event of the user, ms.',
      },
      follows: { merge: 'add', initial: 0, description: 'Blogs the user follows.' },
    },
  },
  post: {
    ttlMs: 30 * DAY_MS,
    description: 'A post, keyed by post id; its creator is its blog.',
    attributes: {
      created_at: { merge: 'min', initial: UNSET, description: 'PostCreated time, ms.' },
      tag_count: { merge: 'set', initial: UNSET, description: 'Distinct tags.' },
      text_length: { merge: 'set', initial: UNSET, description: 'Body length, UTF-16 units.' },
      link_count: { merge: 'set', initial: UNSET, description: 'Links in the body.' },
      spam_score: {
        merge: 'set',
        initial: UNSET,
        description: 'Link spam, tag stuffing or shouting, 0-1 (libs/content spamScore).',
      },
      is_reblog: { merge: 'set', initial: UNSET, description: '1 for a reblog, else 0.' },
      deleted: { merge: 'max', initial: 0, description: '1 once PostDeleted was seen.' },
    },
  },
  blog: {
    ttlMs: 180 * DAY_MS,
    description: 'A blog (a creator), keyed by blog id.',
    attributes: {
      created_at: { merge: 'min', initial: UNSET, description: 'BlogCreated time, ms.' },
      followers: {
        merge: 'add',
        initial: 0,
        floor: 0,
        description: 'Users following the blog (at least 0: see `floor`).',
      },
    },
  },
  user_blog: {
    ttlMs: 90 * DAY_MS,
    description: 'What one user did to one blog.',
    attributes: {},
  },
  user_tag: {
    ttlMs: 90 * DAY_MS,
    description: "One user's affinity to one tag, from the tags of posts they engaged with.",
    attributes: {},
  },
} as const satisfies { [E in EntityKind]: EntityDeclaration<E> };

export type AttributeOf<E extends EntityKind> = (typeof ATTRIBUTE_NAMES)[E][number];

/** Spelled out so that `AttributeOf` does not depend on `ENTITIES` (which uses it). */
const ATTRIBUTE_NAMES = {
  user: ['last_session_at', 'last_active_at', 'follows'],
  post: [
    'created_at',
    'tag_count',
    'text_length',
    'link_count',
    'spam_score',
    'is_reblog',
    'deleted',
  ],
  blog: ['created_at', 'followers'],
  user_blog: [],
  user_tag: [],
} as const satisfies Record<EntityKind, readonly string[]>;

/** Relations a user keeps with blogs, last write (by event time) wins. */
export type Relation = 'following' | 'blocked';

/**
 * Per-user sets of ids, newest first, each expiring after the user's last write to it.
 * served, engaged, hidden and owned_blogs hold at most FEATURE_STORE_LIST_CAP ids; following
 * and blocked at most RELATION_CAP.
 */
export const USER_SETS = {
  served: { ttlMs: 14 * DAY_MS, description: 'Posts served to the user (Impression).' },
  engaged: { ttlMs: 90 * DAY_MS, description: 'Posts the user engaged with.' },
  hidden: { ttlMs: 180 * DAY_MS, description: 'Posts the user hid or reported.' },
  owned_blogs: { ttlMs: 365 * DAY_MS, description: 'Blogs the user owns (BlogCreated).' },
  following: { ttlMs: 365 * DAY_MS, description: 'Blogs the user follows.' },
  blocked: { ttlMs: 365 * DAY_MS, description: 'Blogs the user blocked.' },
} as const;

export type UserSet = keyof typeof USER_SETS;

/** Entries kept in a user's following or blocked set (tombstones of ended relations included). */
export const RELATION_CAP = 10_000;

/**
 * A Follow older than this many ms before the latest change of the same relation can no
 * longer be ordered against an Unfollow: the Unfollow's tombstone is gone.
 */
export const RELATION_TOMBSTONE_MS = 30 * DAY_MS;

/** Engagements that arrive before their post's PostCreated wait this long for it. */
export const PARKED_ENGAGEMENT_TTL_MS = 7 * DAY_MS;
export const PARKED_ENGAGEMENTS_CAP = 1_000;

export type Aggregation<E extends EntityKind> =
  /** Events' weights, each halved every `halfLifeMs` since it happened. */
  | {
      readonly kind: 'decayed_count';
      readonly signal: SignalOf<E>;
      readonly halfLifeMs: number;
      /** user_tag only: how the affinities of a post's tags combine. */
      readonly reduce?: 'sum' | 'max';
    }
  /** (numerator + rate * weight) / (denominator + weight), both decayed: a Beta prior. */
  | {
      readonly kind: 'decayed_rate';
      readonly numerator: SignalOf<E>;
      readonly denominator: SignalOf<E>;
      readonly halfLifeMs: number;
      readonly prior: { readonly rate: number; readonly weight: number };
    }
  /** A stored attribute as it is. */
  | { readonly kind: 'attribute'; readonly attribute: AttributeOf<E> }
  /** Time from a stored moment to the request, in `unitMs`, at most `max`. */
  | {
      readonly kind: 'elapsed';
      readonly since: AttributeOf<E>;
      readonly unitMs: number;
      readonly max?: number;
    }
  /** 1 while the request is less than `windowMs` after a stored moment, else 0. */
  | { readonly kind: 'within'; readonly since: AttributeOf<E>; readonly windowMs: number }
  /** user_blog only: 1 when the user follows the blog. */
  | { readonly kind: 'relation'; readonly relation: 'following' };

/**
 * What a value means to a model: a real number, a whole number (counts of things, not decayed
 * counts), or 0/1. Values always travel as floats; the type documents them and lets a trainer
 * or a CLI format them.
 */
export type FeatureType = 'float' | 'integer' | 'boolean';

export interface FeatureOf<E extends EntityKind> {
  readonly name: `${E}.${string}`;
  readonly entity: E;
  readonly type: FeatureType;
  readonly aggregation: Aggregation<E>;
  /** Served when the entity (or the moment an aggregation needs) is unknown. */
  readonly default: number;
  readonly description: string;
}

export type FeatureDeclaration = { [E in EntityKind]: FeatureOf<E> }[EntityKind];

const decayed =
  <E extends EntityKind>(entity: E) =>
  (
    name: `${E}.${string}`,
    signal: SignalOf<E>,
    halfLifeMs: number,
    description: string,
    reduce?: 'sum' | 'max',
  ): FeatureOf<E> => ({
    name,
    entity,
    type: 'float',
    aggregation: { kind: 'decayed_count', signal, halfLifeMs, ...(reduce ? { reduce } : {}) },
    default: 0,
    description,
  });

const userCount = decayed('user');
const postCount = decayed('post');
const blogCount = decayed('blog');
const userBlogCount = decayed('user_blog');
const userTagCount = decayed('user_tag');

const D1 = DAY_MS;
const D7 = 7 * DAY_MS;
const D30 = 30 * DAY_MS;

/**
 * The features, in serving order. GetFeatures' `user` vector holds the user features;
 * each candidate row holds post, blog (the post's blog), user x blog and user x tag features.
 */
export const FEATURES: readonly FeatureDeclaration[] = [
  userCount('user.likes_1d', 'like', D1, 'Likes the user gave, half-life 1 day.'),
  userCount('user.likes_7d', 'like', D7, 'Likes the user gave, half-life 7 days.'),
  userCount('user.reblogs_7d', 'reblog', D7, 'Reblogs the user made, half-life 7 days.'),
  userCount('user.replies_7d', 'reply', D7, 'Replies the user wrote, half-life 7 days.'),
  userCount('user.engagements_1d', 'engagement', D1, 'Likes, reblogs, replies, shares; 1 day.'),
  userCount('user.engagements_7d', 'engagement', D7, 'Likes, reblogs, replies, shares; 7 days.'),
  userCount('user.engagements_30d', 'engagement', D30, 'Likes, reblogs, replies, shares; 30 days.'),
  userCount('user.hides_30d', 'hide', D30, '"Show less" the user asked for, half-life 30 days.'),
  userCount('user.impressions_7d', 'impression', D7, 'Posts served to the user, 7 days.'),
  {
    name: 'user.engagement_rate_7d',
    entity: 'user',
    type: 'float',
    aggregation: {
      kind: 'decayed_rate',
      numerator: 'engagement',
      denominator: 'impression',
      halfLifeMs: D7,
      prior: { rate: 0.05, weight: 20 },
    },
    default: 0.05,
    description: 'Engagements per served post, 7 days, prior 5% worth 20 impressions.',
  },
  userCount('user.sessions_7d', 'session', D7, 'App opens, half-life 7 days.'),
  userCount('user.sessions_30d', 'session', D30, 'App opens, half-life 30 days.'),
  {
    name: 'user.hours_since_last_session',
    entity: 'user',
    type: 'float',
    aggregation: { kind: 'elapsed', since: 'last_session_at', unitMs: HOUR_MS, max: 90 * 24 },
    default: 90 * 24,
    description: 'Hours since the latest session, at most 90 days (lapse).',
  },
  {
    name: 'user.hours_since_last_active',
    entity: 'user',
    type: 'float',
    aggregation: { kind: 'elapsed', since: 'last_active_at', unitMs: HOUR_MS, max: 90 * 24 },
    default: 90 * 24,
    description: 'Hours since any event of the user (last seen), at most 90 days.',
  },
  {
    name: 'user.follows',
    entity: 'user',
    type: 'integer',
    aggregation: { kind: 'attribute', attribute: 'follows' },
    default: 0,
    description: 'Blogs the user follows.',
  },

  postCount('post.likes_1d', 'like', D1, 'Likes received, half-life 1 day.'),
  postCount('post.likes_7d', 'like', D7, 'Likes received, half-life 7 days.'),
  postCount('post.reblogs_1d', 'reblog', D1, 'Reblogs received, half-life 1 day.'),
  postCount('post.reblogs_7d', 'reblog', D7, 'Reblogs received, half-life 7 days.'),
  postCount('post.replies_1d', 'reply', D1, 'Replies received, half-life 1 day.'),
  postCount('post.replies_7d', 'reply', D7, 'Replies received, half-life 7 days.'),
  postCount('post.hides_1d', 'hide', D1, '"Show less" received, half-life 1 day.'),
  postCount('post.hides_7d', 'hide', D7, '"Show less" received, half-life 7 days.'),
  postCount('post.impressions_1d', 'impression', D1, 'Times served, half-life 1 day.'),
  postCount('post.impressions_7d', 'impression', D7, 'Times served, half-life 7 days.'),
  {
    name: 'post.like_rate_7d',
    entity: 'post',
    type: 'float',
    aggregation: {
      kind: 'decayed_rate',
      numerator: 'like',
      denominator: 'impression',
      halfLifeMs: D7,
      prior: { rate: 0.02, weight: 50 },
    },
    default: 0.02,
    description: 'Likes per impression, 7 days, prior 2% worth 50 impressions.',
  },
  {
    name: 'post.hide_rate_7d',
    entity: 'post',
    type: 'float',
    aggregation: {
      kind: 'decayed_rate',
      numerator: 'hide',
      denominator: 'impression',
      halfLifeMs: D7,
      prior: { rate: 0.002, weight: 200 },
    },
    default: 0.002,
    description: 'Hides per impression, 7 days, prior 0.2% worth 200 impressions.',
  },
  {
    name: 'post.age_hours',
    entity: 'post',
    type: 'float',
    aggregation: { kind: 'elapsed', since: 'created_at', unitMs: HOUR_MS },
    default: 0,
    description: 'Hours since the post was created, at request time.',
  },
  {
    name: 'post.tag_count',
    entity: 'post',
    type: 'integer',
    aggregation: { kind: 'attribute', attribute: 'tag_count' },
    default: 0,
    description: 'Distinct tags on the post.',
  },
  {
    name: 'post.is_reblog',
    entity: 'post',
    type: 'boolean',
    aggregation: { kind: 'attribute', attribute: 'is_reblog' },
    default: 0,
    description: '1 when the post reblogs another.',
  },
  {
    name: 'post.text_length',
    entity: 'post',
    type: 'integer',
    aggregation: { kind: 'attribute', attribute: 'text_length' },
    default: 0,
    description: 'Body length in UTF-16 code units.',
  },
  {
    name: 'post.link_count',
    entity: 'post',
    type: 'integer',
    aggregation: { kind: 'attribute', attribute: 'link_count' },
    default: 0,
    description: 'Links in the body: link-heavy posts are often spam.',
  },
  {
    name: 'post.spam_score',
    entity: 'post',
    type: 'float',
    aggregation: { kind: 'attribute', attribute: 'spam_score' },
    default: 0,
    description:
      'Content quality from the text and tags alone, 0 (clean) to 1: the largest of link spam, ' +
      'tag stuffing and shouting (libs/content), known before any engagement.',
  },
  {
    name: 'post.deleted',
    entity: 'post',
    type: 'boolean',
    aggregation: { kind: 'attribute', attribute: 'deleted' },
    default: 0,
    description: '1 once the post was deleted: the gateway filters it out.',
  },

  {
    name: 'blog.followers',
    entity: 'blog',
    type: 'integer',
    aggregation: { kind: 'attribute', attribute: 'followers' },
    default: 0,
    description: 'Users following the blog.',
  },
  {
    name: 'blog.age_days',
    entity: 'blog',
    type: 'float',
    aggregation: { kind: 'elapsed', since: 'created_at', unitMs: DAY_MS },
    default: 0,
    description: 'Days since the blog was created.',
  },
  {
    name: 'blog.is_new_creator',
    entity: 'blog',
    type: 'boolean',
    aggregation: { kind: 'within', since: 'created_at', windowMs: 30 * DAY_MS },
    default: 0,
    description: '1 while the blog is less than 30 days old.',
  },
  blogCount('blog.posts_7d', 'post', D7, 'Posts the blog published, half-life 7 days.'),
  blogCount('blog.engagements_7d', 'engagement', D7, 'Engagements its posts received, 7 days.'),
  blogCount('blog.hides_7d', 'hide', D7, '"Show less" its posts received, 7 days.'),

  {
    name: 'user_blog.follows',
    entity: 'user_blog',
    type: 'boolean',
    aggregation: { kind: 'relation', relation: 'following' },
    default: 0,
    description: '1 when the user follows the blog.',
  },
  userBlogCount(
    'user_blog.engagements_30d',
    'engagement',
    D30,
    "Engagements with the blog's posts.",
  ),
  userBlogCount('user_blog.hides_30d', 'hide', D30, '"Show less" on the blog\'s posts.'),
  userBlogCount(
    'user_blog.affinity_30d',
    'affinity',
    D30,
    'Weighted engagements with the blog (hides and reports count against), 30 days.',
  ),

  userTagCount(
    'user_tag.affinity_sum',
    'affinity',
    D30,
    "The user's affinity to the post's tags, summed; 30 days.",
    'sum',
  ),
  userTagCount(
    'user_tag.affinity_max',
    'affinity',
    D30,
    "The user's strongest affinity among the post's tags; 30 days.",
    'max',
  ),
];

/** Which decayed counter ranks a user's interests (GetUserFeatures.interests). */
export const INTERESTS = {
  tag: { signal: 'affinity', halfLifeMs: D30 },
  blog: { signal: 'affinity', halfLifeMs: D30 },
} as const satisfies {
  tag: { signal: SignalOf<'user_tag'>; halfLifeMs: number };
  blog: { signal: SignalOf<'user_blog'>; halfLifeMs: number };
};
