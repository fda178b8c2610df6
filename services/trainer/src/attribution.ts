import type { ObjectiveName } from '@feedmesh/models';
import { EngagementKind, type SiteHistory } from './site-history.js';

const OBJECTIVE_OF_KIND = new Map<number, ObjectiveName>([
  [EngagementKind.ENGAGEMENT_KIND_LIKE, 'like'],
  [EngagementKind.ENGAGEMENT_KIND_REBLOG, 'reblog'],
  [EngagementKind.ENGAGEMENT_KIND_REPLY, 'reply'],
  [EngagementKind.ENGAGEMENT_KIND_HIDE, 'hide'],
  // A report ("spam", "abuse") is a hide and more, as in the feature store's update rules: the
  // hide objective learns from both.
  [EngagementKind.ENGAGEMENT_KIND_REPORT, 'hide'],
]);

/** The objective an engagement kind counts for; SHARE and CLICK count for none. */
export function objectiveOfKind(kind: number): ObjectiveName | undefined {
  return OBJECTIVE_OF_KIND.get(kind);
}

const pair = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * How far before an impression an engagement (or follow) may be stamped and still be credited
 * to it, ms: 5 minutes, the clock skew the feed gateway accepts from producers
 * (`MAX_CLOCK_SKEW_MS`, stamps up to that far ahead of its clock). An impression is stamped by
 * the gateway, what the user did by the client: a client clock a few seconds slow stamps a like
 * before the impression that led to it. TRAINER_CLOCK_SKEW_MS overrides it.
 */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Which of a user's touches (impressions of a post, or of any post of a blog, in time order;
 * ties in log order) an event at `atMs` is credited to, by position, or undefined.
 *
 * Last touch: the latest at or before it (of touches at one instant, the last), when its
 * window holds the event. Failing that, when no earlier touch could have led to it, the first
 * touch at most `skewMs` after it: the event was stamped by a clock running slow.
 */
export function creditedTouch(
  touches: readonly { readonly atMs: number }[],
  atMs: number,
  windowMs: number,
  skewMs: number,
): number | undefined {
  // The first touch after `atMs`; the one before it is the latest at or before.
  let lo = 0;
  let hi = touches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((touches[mid] as { atMs: number }).atMs <= atMs) lo = mid + 1;
    else hi = mid;
  }
  const latest = touches[lo - 1];
  if (latest !== undefined && atMs <= latest.atMs + windowMs) return lo - 1;
  const next = touches[lo];
  if (next !== undefined && next.atMs - skewMs <= atMs) return lo;
  return undefined;
}

/**
 * Labels what a user did to a post within the attribution window after meeting it at `atMs`:
 * an engagement of each kind, and a follow of the post's blog (the post won them over).
 */
export class Attribution {
  private readonly engagements = new Map<string, { kind: number; atMs: number }[]>();
  private readonly follows = new Map<string, number[]>();

  constructor(
    private readonly history: SiteHistory,
    private readonly windowMs: number,
  ) {
    for (const e of history.engagements) {
      const key = pair(e.userId, e.postId);
      let list = this.engagements.get(key);
      if (list === undefined) this.engagements.set(key, (list = []));
      list.push({ kind: e.kind, atMs: e.atMs });
    }
    for (const f of history.follows) {
      const key = pair(f.userId, f.blogId);
      let list = this.follows.get(key);
      if (list === undefined) this.follows.set(key, (list = []));
      list.push(f.atMs);
    }
  }

  /** What the user did within the window after `atMs` (without impressions: no last touch). */
  labels(userId: string, postId: string, atMs: number): Record<ObjectiveName, 0 | 1> {
    const labels: Record<ObjectiveName, 0 | 1> = {
      like: 0,
      reblog: 0,
      reply: 0,
      follow: 0,
      hide: 0,
    };
    const until = atMs + this.windowMs;
    const within = (t: number) => t >= atMs && t <= until;
    for (const e of this.engagements.get(pair(userId, postId)) ?? []) {
      if (!within(e.atMs)) continue;
      const objective = objectiveOfKind(e.kind);
      if (objective) labels[objective] = 1;
    }
    const blogId = this.history.posts.get(postId)?.blogId;
    if (blogId !== undefined) {
      const followed = this.follows.get(pair(userId, blogId)) ?? [];
      if (followed.some(within)) labels.follow = 1;
    }
    return labels;
  }

  /**
   * When the user met the post, seen from an engagement with it at `atMs`: their first
   * engagement of any kind (a click, a share) within the window before it, else `atMs`. What
   * came of that meeting is the label; features as of a later instant would already count it.
   */
  metAt(userId: string, postId: string, atMs: number): number {
    const from = atMs - this.windowMs;
    const first = (this.engagements.get(pair(userId, postId)) ?? []).find((e) => e.atMs >= from);
    return first !== undefined && first.atMs < atMs ? first.atMs : atMs;
  }

  /** Every kind of engagement the user had with the post, at any time. */
  engaged(userId: string, postId: string): boolean {
    return this.engagements.has(pair(userId, postId));
  }
}
