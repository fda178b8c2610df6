import { notificationv1 } from '@feedmesh/contracts';
import type { PostView } from './content-truth.js';
import { hashUniform } from './randomness.js';
import { DAY_MS } from './simulation-options.js';

/** What the behaviour model needs to know about a user. */
export interface Reader {
  readonly id: string;
  /** In [0, 1]: extra pull of a new creator's post. */
  readonly noveltyTaste: number;
  /** How much of their attention `topics` hold, 0 to 1. */
  affinity(topics: readonly number[]): number;
}

/** What a user does with one served post. A hidden post gets nothing else. */
export interface Reaction {
  readonly hide: boolean;
  readonly like: boolean;
  readonly reblog: boolean;
  readonly reply: boolean;
  /** Follows the post's blog (only ever after liking or reblogging it). */
  readonly follow: boolean;
}

/**
 * The simulated people's rules, in one place so an experiment can see what it is measured
 * against. Probabilities grow with the post's topic affinity and hidden quality, and a new
 * creator's post gets an extra pull on users who like discovering people.
 */
export const BEHAVIOUR = {
  baseLike: 0.02,
  likePerAppeal: 0.6,
  reblogPerAppeal: 0.18,
  replyPerAppeal: 0.08,
  /** After a like or reblog, chance to follow the blog, times the post's quality. */
  followPerQuality: 0.12,
  /** Off-interest posts are hidden this often, more when they are poor. */
  offInterestHide: 0.08,
  offInterestHidePerPoorness: 0.17,
  onInterestHidePerPoorness: 0.02,
  /** What each act is worth to the user's satisfaction with a session. */
  utility: { like: 1, reblog: 0.5, reply: 0.5, hide: -1.5, ignored: -0.08, opened: 0.6 },
  /** A session's worth, mapped to [0, 1]: neutral at this utility per impression. */
  neutralUtilityPerImpression: 0.12,
  utilityScale: 2.2,
  /** Weight of the newest session in satisfaction (the rest is the running value). */
  sessionWeight: 0.35,
  satisfactionHalfLifeMs: 3 * DAY_MS,
  /** Sessions a day: activity x (floor + span x satisfaction). */
  returnFloor: 0.2,
  returnSpan: 1.8,
  /** Below this satisfaction a user may lapse after a session, more likely the lower. */
  lapseBelow: 0.3,
  lapsePerPoint: 1.2,
  /** Chance a lapsed user with an unread notification opens it on a daily look. */
  reactivationChance: 0.3,
  /** Satisfaction a reactivated user comes back with. */
  reactivatedSatisfaction: 0.45,
  /** Another page after this one: floor + per engaged share - per hidden share. */
  continueFloor: 0.3,
  continuePerEngaged: 2.5,
  continuePerHidden: 1.5,
} as const;

/**
 * Decides one reaction. The draws are hashes of the seed, user and post, so the same user
 * meets the same post the same way whichever variant served it.
 */
export function react(seed: number, user: Reader, post: PostView): Reaction {
  const key = post.drawKey ?? post.postId;
  const affinity = user.affinity(post.topics);
  const poorness = 1 - post.quality;
  const hideChance =
    affinity === 0
      ? BEHAVIOUR.offInterestHide + BEHAVIOUR.offInterestHidePerPoorness * poorness
      : BEHAVIOUR.onInterestHidePerPoorness * poorness;
  if (hashUniform(seed, 'hide', user.id, key) < hideChance) {
    return { hide: true, like: false, reblog: false, reply: false, follow: false };
  }
  const novelty = post.fromNewCreator ? 0.7 + 0.8 * user.noveltyTaste : 1;
  const appeal = Math.min(1, affinity * (0.3 + 0.7 * post.quality) * novelty);
  const draw = (kind: string) => hashUniform(seed, kind, user.id, key);
  const like = draw('like') < BEHAVIOUR.baseLike + BEHAVIOUR.likePerAppeal * appeal;
  const reblog = draw('reblog') < BEHAVIOUR.reblogPerAppeal * appeal * post.quality;
  return {
    hide: false,
    like,
    reblog,
    reply: draw('reply') < BEHAVIOUR.replyPerAppeal * appeal,
    follow: (like || reblog) && draw('follow') < BEHAVIOUR.followPerQuality * post.quality,
  };
}

export function utilityOf(reaction: Reaction): number {
  const u = BEHAVIOUR.utility;
  if (reaction.hide) return u.hide;
  const value =
    (reaction.like ? u.like : 0) +
    (reaction.reblog ? u.reblog : 0) +
    (reaction.reply ? u.reply : 0);
  return value === 0 ? u.ignored : value;
}

/** How a session felt, in [0, 1], from its total utility and how much was shown. */
export function sessionSatisfaction(utility: number, impressions: number): number {
  if (impressions === 0) return 0.2;
  const perImpression = utility / impressions - BEHAVIOUR.neutralUtilityPerImpression;
  return 1 / (1 + Math.exp(-BEHAVIOUR.utilityScale * 4 * perImpression));
}

/** Chance of reading one more page after a page with these shares engaged and hidden. */
export function continueChance(engagedShare: number, hiddenShare: number): number {
  const chance =
    BEHAVIOUR.continueFloor +
    BEHAVIOUR.continuePerEngaged * engagedShare -
    BEHAVIOUR.continuePerHidden * hiddenShare;
  return Math.min(0.9, Math.max(0.05, chance));
}

/** Mean time to the next session at this satisfaction, ms. */
export function meanReturnGapMs(activity: number, satisfaction: number): number {
  return DAY_MS / (activity * (BEHAVIOUR.returnFloor + BEHAVIOUR.returnSpan * satisfaction));
}

export function lapseChance(satisfaction: number): number {
  return Math.max(0, (BEHAVIOUR.lapseBelow - satisfaction) * BEHAVIOUR.lapsePerPoint);
}

/** Chance of opening a notification of this type during a session. */
export function openChance(type: notificationv1.NotificationType): number {
  switch (type) {
    case notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY:
      return 0.6;
    case notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST:
      return 0.35;
    case notificationv1.NotificationType.NOTIFICATION_TYPE_REACTIVATION:
      return 0.5;
    default:
      return 0.2;
  }
}
