import { notificationv1 } from '@feedmesh/contracts';
import type { NotificationCandidate } from './notification-candidate.js';
import type { OpenStats } from './open-stats-store.js';

const { NotificationType } = notificationv1;

/** What is known about a user when a candidate is judged, besides the candidate itself. */
export interface OpenContext {
  /** The user's history with this candidate's type. */
  readonly stats: OpenStats;
  /** Hours since their last session; undefined when none is known. */
  readonly hoursSinceLastSession: number | undefined;
  /** The hour of day in the user's time zone (0-23). */
  readonly localHour: number;
}

/**
 * The inputs an open-probability model (`notification-open` in the model registry) is scored
 * on, by name: the trainer trains on these, joined from NotificationSent and NotificationOpened.
 * Names follow the feature store's `<entity>.<feature>` style; a model may use any subset.
 */
export const OPEN_FEATURE_NAMES = [
  'notification.type_activity',
  'notification.type_new_post',
  'notification.type_trending',
  'notification.type_reactivation',
  'notification.count',
  'notification.actor_count',
  'notification.local_hour',
  'user.notifications_sent',
  'user.notifications_opened',
  'user.notification_open_rate',
  'user.hours_since_last_session',
] as const;

/**
 * Beta prior of the open rate per type, and its weight in pseudo-sends: a user with no history
 * gets the prior; each send and open moves them towards their own rate. Activity about your own
 * posts is opened most, recommendations least (rough in-app rates; the model replaces them).
 */
const PRIOR_OPEN_RATE: ReadonlyMap<number, number> = new Map([
  [NotificationType.NOTIFICATION_TYPE_ACTIVITY, 0.3],
  [NotificationType.NOTIFICATION_TYPE_NEW_POST, 0.12],
  [NotificationType.NOTIFICATION_TYPE_TRENDING, 0.06],
  [NotificationType.NOTIFICATION_TYPE_REACTIVATION, 0.08],
]);
const PRIOR_WEIGHT = 10;

/** The user's smoothed open rate for the type: (opens + prior · w) / (sends + w), in [0, 1]. */
export function smoothedOpenRate(type: number, stats: OpenStats): number {
  const prior = PRIOR_OPEN_RATE.get(type) ?? 0.1;
  const rate = (stats.opened + prior * PRIOR_WEIGHT) / (stats.sent + PRIOR_WEIGHT);
  return Math.min(1, Math.max(0, rate));
}

export function openFeatureValues(
  candidate: NotificationCandidate,
  context: OpenContext,
): number[] {
  const { type } = candidate.subject;
  const { stats } = context;
  return [
    type === NotificationType.NOTIFICATION_TYPE_ACTIVITY ? 1 : 0,
    type === NotificationType.NOTIFICATION_TYPE_NEW_POST ? 1 : 0,
    type === NotificationType.NOTIFICATION_TYPE_TRENDING ? 1 : 0,
    type === NotificationType.NOTIFICATION_TYPE_REACTIVATION ? 1 : 0,
    candidate.count,
    candidate.actorCount,
    context.localHour,
    stats.sent,
    stats.opened,
    smoothedOpenRate(type, stats),
    // A month stands for "long ago or never": the model's default when the value is missing.
    context.hoursSinceLastSession ?? 24 * 30,
  ];
}

/**
 * The heuristic until a model is trained: the smoothed open rate, a little higher for a digest
 * of many actors ("12 people liked your post" is opened more than one like), lower at night.
 */
export function heuristicOpenProbability(
  candidate: NotificationCandidate,
  context: OpenContext,
): number {
  const rate = smoothedOpenRate(candidate.subject.type, context.stats);
  const crowd = 1 + 0.1 * Math.log2(Math.max(1, candidate.actorCount));
  const night = context.localHour < 7 || context.localHour >= 23 ? 0.7 : 1;
  return Math.min(1, rate * crowd * night);
}
