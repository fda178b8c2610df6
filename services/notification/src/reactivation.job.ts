import { commonv1, notificationv1 } from '@feedmesh/contracts';
import type { Logger } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import type { DigestEntry, DigestStore } from './digest-store.js';
import type { CatchUp } from './log-catch-up.js';
import type { ReactivationPicker } from './reactivation.picker.js';
import type { LapseCheck, SessionStore } from './session-store.js';

export interface ReactivationJobSettings {
  /** Lapse checks claimed per round trip. */
  readonly batchSize: number;
  /** A claimed check is due again after this if the job died, ms. */
  readonly leaseMs: number;
  /** Lapsed at least this long, ms (the sessions' schedule uses the same). */
  readonly lapseMs: number;
  /** Lapsed longer than this is churn, not a lapse: no digest, ms. */
  readonly maxLapseMs: number;
}

export interface ReactivationRunReport {
  /**
   * Whether the consumer group had handled the log up to the run's start. When it had not
   * (a new group replaying the log, a backlog) the run judged nobody: every other count is 0.
   */
  readonly caughtUp: boolean;
  readonly checked: number;
  /** Reactivation digests queued for delivery. */
  readonly queued: number;
  /** Came back, already reactivated for this lapse, lapsed too long, or nothing to show. */
  readonly skipped: number;
  /** Checks left for a later run (the mesh could not pick). */
  readonly failed: number;
}

/**
 * The periodic reactivation job: once the consumer group has handled the log up to the run's
 * start (CatchUp), claims the users whose lapse check is due (SessionStore: no session for
 * `lapseMs`), and for each one still lapsed and not yet reactivated for this lapse,
 * picks their best candidates from candidate-generation and the ranker (ReactivationPicker) and
 * queues one REACTIVATION digest. The digest then goes through the policies like any other
 * (quiet hours delay it, fatigue and the budget hold it, preferences drop it), and is dropped
 * if the user comes back before it is delivered (StillLapsedPolicy).
 *
 * One digest per lapse: the entry's id names the user and the session the lapse follows, and
 * the session records which lapse was answered. A user who comes back and lapses again is a
 * new lapse. A pick that fails leaves the check claimed; its lease ends and a later run retries.
 *
 * Lapses are judged from the sessions the group has read, so a run judges nobody until the
 * group has handled every event appended before the run started: a new group reading the log
 * from the beginning has a user's old sessions before their recent ones, and would find them
 * lapsed in between. Events appended after the start do not hold the run back (on a busy site
 * some always are). A run that cannot start leaves every check due for the next run.
 */
export class ReactivationJob {
  constructor(
    private readonly sessions: SessionStore,
    private readonly catchUp: CatchUp,
    private readonly picker: ReactivationPicker,
    private readonly digests: DigestStore,
    private readonly settings: ReactivationJobSettings,
    private readonly onDigested: (entry: DigestEntry) => void,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  /**
   * Handles every check due now, a batch at a time, each at most once: a check whose pick
   * failed is due again when its lease ends, which a long run (picks timing out) can outlast;
   * claimed again, it is left for the next run and this one ends. Judges nobody unless the
   * group has caught up with the log (`signal` ends that wait: the service is stopping).
   */
  runOnce(signal?: AbortSignal): Promise<ReactivationRunReport> {
    return withSpan('notification.reactivation.run', {}, async (span) => {
      const report = { caughtUp: true, checked: 0, queued: 0, skipped: 0, failed: 0 };
      report.caughtUp = await this.catchUp.caughtUp(signal);
      span.setAttribute('notification.caught_up', report.caughtUp);
      if (!report.caughtUp) {
        this.logger.info(
          { job: 'reactivation' },
          'reactivation run skipped: the consumer group has not caught up with the log',
        );
        return report;
      }
      const tried = new Set<string>();
      for (;;) {
        const { batchSize, leaseMs } = this.settings;
        const claimed = await this.sessions.claimDue(this.clock(), batchSize, leaseMs);
        const checks = claimed.filter((check) => !tried.has(check.userId));
        for (const check of checks) tried.add(check.userId);
        const outcomes = await Promise.all(checks.map((check) => this.handle(check)));
        for (const outcome of outcomes) report[outcome] += 1;
        report.checked += checks.length;
        if (claimed.length < batchSize || checks.length < claimed.length) break;
      }
      span.setAttribute('notification.checked', report.checked);
      span.setAttribute('notification.queued', report.queued);
      return report;
    });
  }

  private async handle(check: LapseCheck): Promise<'queued' | 'skipped' | 'failed'> {
    const { userId } = check;
    const nowMs = this.clock();
    const session = await this.sessions.get(userId);
    const lapsedMs = session === undefined ? Infinity : nowMs - session.lastAtMs;
    if (
      session === undefined ||
      lapsedMs < this.settings.lapseMs ||
      lapsedMs > this.settings.maxLapseMs ||
      session.reactivatedForMs >= session.lastAtMs
    ) {
      await this.sessions.complete(check);
      return 'skipped';
    }
    let pick;
    try {
      pick = await this.picker.pick(userId, session.lastAtMs);
    } catch (error) {
      this.logger.warn(
        { err: error, userId },
        'reactivation candidates unavailable; retrying later',
      );
      return 'failed';
    }
    if (pick.postIds.length > 0) {
      const entry = reactivationEntry(userId, session.lastAtMs, pick.postIds, pick.blogIds, nowMs);
      if ((await this.digests.add(entry, nowMs)) === 'added') this.onDigested(entry);
    }
    await this.sessions.markReactivated(userId, session.lastAtMs);
    await this.sessions.complete(check);
    return pick.postIds.length > 0 ? 'queued' : 'skipped';
  }
}

/** The digest entry of a lapse's pick: one entry, naming the picked posts and their blogs. */
export function reactivationEntry(
  userId: string,
  lastSessionAtMs: number,
  postIds: readonly string[],
  blogIds: readonly string[],
  nowMs: number,
): DigestEntry {
  return {
    subject: {
      userId,
      type: notificationv1.NotificationType.NOTIFICATION_TYPE_REACTIVATION,
      activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
      postId: '',
      blogId: '',
      // The lapse it answers: the still-lapsed policy drops it once the user had a later session.
      topic: String(lastSessionAtMs),
    },
    eventId: `reactivation|${userId}|${lastSessionAtMs}`,
    actorIds: blogIds,
    postIds,
    atMs: nowMs,
    windowMs: 0,
  };
}
