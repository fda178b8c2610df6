import { localMinuteOfDay } from './local-time.js';
import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';
import {
  heuristicOpenProbability,
  OPEN_FEATURE_NAMES,
  openFeatureValues,
  type OpenContext,
} from './open-features.js';
import type { OpenModelSource } from './open-model-source.js';
import type { OpenStatsStore } from './open-stats-store.js';
import { effectivePreferences } from './preferences.js';
import type { PreferencesStore } from './preferences-store.js';
import type { SessionStore } from './session-store.js';
import type { PerType } from './type-settings.js';

const HOUR_MS = 3_600_000;

/**
 * Sends only what the user is likely enough to open (the-algorithm's pushservice ranks push
 * candidates on P(open)): below the type's threshold the candidate is dropped. P(open) comes
 * from the registry's open model once the trainer has published one, from a heuristic (the
 * user's smoothed open rate for the type) until then. A type whose threshold is 0 is not
 * scored at all.
 */
export class OpenProbabilityPolicy implements NotificationPolicy {
  readonly name = 'open-probability';

  constructor(
    private readonly thresholds: PerType<number>,
    private readonly stats: OpenStatsStore,
    private readonly sessions: SessionStore,
    private readonly preferences: PreferencesStore,
    private readonly model: OpenModelSource | undefined,
  ) {}

  async decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict> {
    const threshold = this.thresholds.get(candidate.subject.type) ?? 0;
    if (threshold <= 0) return DELIVER;
    const probability = await this.estimate(candidate, nowMs);
    return probability >= threshold ? DELIVER : { action: 'drop', reason: 'unlikely-to-open' };
  }

  /** P(open) of the candidate for its user, now. */
  async estimate(candidate: NotificationCandidate, nowMs: number): Promise<number> {
    const context = await this.contextOf(candidate, nowMs);
    const scorer = this.model?.scorer;
    if (scorer === undefined) return heuristicOpenProbability(candidate, context);
    const scores = scorer.score({
      candidates: {
        names: OPEN_FEATURE_NAMES,
        rows: 1,
        values: openFeatureValues(candidate, context),
      },
    });
    // A model trained for opens has one objective; whichever it is named, it is P(open).
    return scores.probabilities[0] ?? heuristicOpenProbability(candidate, context);
  }

  private async contextOf(candidate: NotificationCandidate, nowMs: number): Promise<OpenContext> {
    const { userId, type } = candidate.subject;
    const [stats, session, stored] = await Promise.all([
      this.stats.stats(userId, type),
      this.sessions.get(userId),
      this.preferences.get(userId),
    ]);
    const timeZone = effectivePreferences(stored).timeZone;
    return {
      stats,
      hoursSinceLastSession:
        session === undefined ? undefined : Math.max(0, (nowMs - session.lastAtMs) / HOUR_MS),
      localHour: Math.floor(localMinuteOfDay(nowMs, timeZone) / 60),
    };
  }
}
