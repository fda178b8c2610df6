import type { NotificationCandidate } from './notification-candidate.js';

export type PolicyVerdict =
  | { readonly action: 'deliver' }
  | { readonly action: 'drop'; readonly reason: string }
  /** Not now: try again at `untilMs`, still merging new activity (quiet hours, fatigue). */
  | { readonly action: 'delay'; readonly untilMs: number; readonly reason: string };

/**
 * One rule a candidate must pass before delivery. Policies run in the order the pipeline lists
 * them and the first verdict other than deliver wins, so a policy that consumes something
 * (a fatigue slot, a budget) goes after the ones that only look.
 */
export interface NotificationPolicy {
  /** For metrics and traces: `preferences`, `fatigue`... */
  readonly name: string;
  decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict>;
}

export const DELIVER: PolicyVerdict = { action: 'deliver' };
