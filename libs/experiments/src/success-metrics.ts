import type { ActivityCounts, UserAggregate } from './user-aggregates.js';

/**
 * The success metrics of a feed experiment (issue 10), each computed per exposed user so the
 * user is the unit of analysis: the same unit the assignment randomises.
 *
 * - `mean`: the average of a per-user value (engagements per user); Welch's t-test; CUPED
 *   with the user's pre-period value as covariate.
 * - `ratio`: a ratio of sums (likes / impressions); the delta method.
 * - `proportion`: the share of eligible users for whom something happened (retention); a
 *   mean of 0/1 values, so Welch's t-test.
 */
export type MetricKind = 'mean' | 'ratio' | 'proportion';

export interface MetricContext {
  /** End of the look being computed, ms: only activity before it counts. */
  readonly cutoffMs: number;
  /** A user is retained when they start a session at least this long after first exposure. */
  readonly retentionAfterMs: number;
}

export interface MeanMetric {
  readonly kind: 'mean' | 'proportion';
  /** The user's value, or undefined when the user is not in the metric's population. */
  value(user: UserAggregate, counts: ActivityCounts, context: MetricContext): number | undefined;
  /** The pre-period covariate for CUPED. */
  covariate?(user: UserAggregate): number;
}

export interface RatioMetric {
  readonly kind: 'ratio';
  numerator(counts: ActivityCounts): number;
  denominator(counts: ActivityCounts): number;
}

export type MetricDefinition = {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Whether an increase is good news (false for hides). */
  readonly higherIsBetter: boolean;
  /** How the value is printed: a count per user, or a share. */
  readonly format: 'number' | 'percent';
} & (MeanMetric | RatioMetric);

export const SUCCESS_METRICS: readonly MetricDefinition[] = [
  {
    id: 'engagements_per_user',
    name: 'Engagement per user',
    description: 'Likes, reblogs, replies and shares per exposed user.',
    higherIsBetter: true,
    format: 'number',
    kind: 'mean',
    value: (_user, counts) => counts.engagements,
    covariate: (user) => user.pre.engagements,
  },
  {
    id: 'like_rate',
    name: 'Like rate',
    description: 'Likes per impression (ratio of sums; delta method).',
    higherIsBetter: true,
    format: 'percent',
    kind: 'ratio',
    numerator: (counts) => counts.likes,
    denominator: (counts) => counts.impressions,
  },
  {
    id: 'reblog_rate',
    name: 'Reblog rate',
    description: 'Reblogs per impression (ratio of sums; delta method).',
    higherIsBetter: true,
    format: 'percent',
    kind: 'ratio',
    numerator: (counts) => counts.reblogs,
    denominator: (counts) => counts.impressions,
  },
  {
    id: 'hides_per_user',
    name: 'Hides per user',
    description: '"Show less" per exposed user: a guardrail, lower is better.',
    higherIsBetter: false,
    format: 'number',
    kind: 'mean',
    value: (_user, counts) => counts.hides,
    covariate: (user) => user.pre.hides,
  },
  {
    id: 'sessions_per_user',
    name: 'Sessions per user',
    description: 'App opens per exposed user.',
    higherIsBetter: true,
    format: 'number',
    kind: 'mean',
    value: (_user, counts) => counts.sessions,
    covariate: (user) => user.pre.sessions,
  },
  {
    id: 'retention',
    name: 'Retention',
    description:
      'Share of exposed users who came back (started a session) at least the retention delay after their first exposure; only users exposed at least that long before the look.',
    higherIsBetter: true,
    format: 'percent',
    kind: 'proportion',
    value: (user, _counts, context) => {
      const mark = user.firstExposureMs + context.retentionAfterMs;
      if (mark > context.cutoffMs) return undefined;
      return user.sessionTimes.some((at) => at >= mark && at < context.cutoffMs) ? 1 : 0;
    },
    covariate: (user) => user.pre.sessions,
  },
  {
    id: 'new_creator_impression_share',
    name: 'Impressions to new creators',
    description:
      'Share of impressions whose post is by a new creator (ratio of sums; delta method).',
    higherIsBetter: true,
    format: 'percent',
    kind: 'ratio',
    numerator: (counts) => counts.newCreatorImpressions,
    denominator: (counts) => counts.impressions,
  },
  {
    id: 'new_creator_engagement_share',
    name: 'Engagement to new creators',
    description:
      'Share of engagement that went to posts by new creators (ratio of sums; delta method).',
    higherIsBetter: true,
    format: 'percent',
    kind: 'ratio',
    numerator: (counts) => counts.newCreatorEngagements,
    denominator: (counts) => counts.engagements,
  },
  {
    id: 'reactivation_rate',
    name: 'Reactivation',
    description:
      'Share of users lapsed at the start (no session in the lapse window) who started a session during the experiment.',
    higherIsBetter: true,
    format: 'percent',
    kind: 'proportion',
    value: (user, _counts, context) => {
      if (!user.lapsedAtStart) return undefined;
      const first = user.sessionTimes[0];
      return first !== undefined && first < context.cutoffMs ? 1 : 0;
    },
  },
];
