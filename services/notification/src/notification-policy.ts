import type { NotificationCandidate } from './notification-candidate.js';
import type { QuotaClaim } from './quota-store.js';

export type PolicyVerdict =
  | { readonly action: 'deliver' }
  /**
   * Deliver, but without these of its posts and actors (what the user must not see): the
   * pipeline renders the candidate without what any policy left out (leaveOut). `actors` maps
   * each actor left out to the candidate's entries that were theirs, so the counts go down by
   * what they made; `postIds` are posts left out with their actors (counted in their entries),
   * `deletedPosts` posts that are gone, linked or not, each with its blog (a NEW_POST count
   * loses one entry each, unless its blog is left out already). When what the policies left
   * out together leaves nothing, the pipeline drops the candidate (`nothing-left`).
   */
  | {
      readonly action: 'leave-out';
      readonly postIds: readonly string[];
      readonly actors: ReadonlyMap<string, number>;
      readonly deletedPosts?: ReadonlyMap<string, string>;
      readonly reason: string;
    }
  | { readonly action: 'drop'; readonly reason: string }
  /** Not now: try again at `untilMs`, still merging new activity (quiet hours, fatigue). */
  | { readonly action: 'delay'; readonly untilMs: number; readonly reason: string }
  /**
   * Deliver only if the send can be counted against `claim`. The pipeline spends the claims of
   * every policy together once all of them passed (QuotaStore.acquire), so a refusal by one
   * wastes no other's slot; a refused claim delays the candidate until it has room.
   */
  | { readonly action: 'spend'; readonly claim: QuotaClaim; readonly reason: string };

/**
 * One rule a candidate must pass before delivery. `decide` only looks: it changes nothing (a
 * policy that spends something says so with a `spend` verdict), so the pipeline asks every
 * policy at once, and the first verdict that drops or delays in the listed order wins.
 */
export interface NotificationPolicy {
  /** For metrics and traces: `preferences`, `fatigue`... */
  readonly name: string;
  decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict>;
}

export const DELIVER: PolicyVerdict = { action: 'deliver' };
