import type { PublishTally } from './event-publisher.js';
import type { SimulationParameters } from './simulation-options.js';
import type { SimulatedUser } from './simulated-user.js';

/** One user's run, for an experiment analysis (assignment as the gateway reported it). */
export interface SimulatedUserRecord {
  readonly userId: string;
  readonly experiments: Readonly<Record<string, string>>;
  readonly sessions: number;
  readonly impressions: number;
  readonly likes: number;
  readonly reblogs: number;
  readonly replies: number;
  readonly hides: number;
  /** Items liked, reblogged or replied to, each counted once. */
  readonly engagedItems: number;
  /** Blogs followed during the run. */
  readonly follows: number;
  readonly notificationsOpened: number;
  readonly reactivations: number;
  readonly newCreatorImpressions: number;
  readonly newCreatorEngagements: number;
  readonly feedErrors: number;
  /** Hidden satisfaction at the end, in [0, 1]. */
  readonly satisfaction: number;
  /** Mean of the satisfaction after each of their sessions (undefined without sessions). */
  readonly meanSatisfaction: number | undefined;
  readonly activeDays: number;
  /** Their usual sessions per day (hidden), for covariates. */
  readonly activity: number;
  readonly lapsedAtStart: boolean;
  readonly lapsedAtEnd: boolean;
}

export interface SimulationSummary {
  readonly seed: number;
  readonly runTag: string;
  readonly users: number;
  readonly days: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly wallMs: number;
  readonly sessions: number;
  readonly impressions: number;
  readonly engagements: {
    readonly likes: number;
    readonly reblogs: number;
    readonly replies: number;
    readonly total: number;
    /** Likes, reblogs and replies per impression. */
    readonly perImpression: number;
  };
  readonly hides: number;
  readonly follows: number;
  readonly notificationsOpened: number;
  readonly feedErrors: number;
  readonly content: { readonly postsCreated: number; readonly newCreators: number };
  readonly newCreators: {
    readonly impressionShare: number;
    readonly engagementShare: number;
  };
  readonly published: PublishTally;
  readonly satisfaction: {
    readonly mean: number;
    readonly p10: number;
    readonly p50: number;
    readonly p90: number;
  };
  readonly retention: {
    /** Users with a session on each simulated day. */
    readonly activeByDay: readonly number[];
    /** Of the users active on the first day, the share active on the last. */
    readonly firstToLastDay: number;
    readonly lapsedAtStart: number;
    readonly lapsedAtEnd: number;
    readonly reactivated: number;
    /**
     * Mean gap to the next visit in units of each user's usual gap (1 = their usual rhythm),
     * after a visit that left them satisfied (satisfaction >= 0.5) or not. Lapses not counted.
     */
    readonly relativeReturnGap: { readonly satisfied: number; readonly dissatisfied: number };
  };
  /** Present when `perUser` was asked for. */
  readonly perUser?: readonly SimulatedUserRecord[];
}

export function userRecord(user: SimulatedUser, lapsedAtStart: boolean): SimulatedUserRecord {
  const r = user.record;
  return {
    userId: user.id,
    experiments: Object.fromEntries(r.experiments),
    sessions: r.sessions,
    impressions: r.impressions,
    likes: r.likes,
    reblogs: r.reblogs,
    replies: r.replies,
    hides: r.hides,
    engagedItems: r.engagedItems,
    follows: r.follows,
    notificationsOpened: r.notificationsOpened,
    reactivations: r.reactivations,
    newCreatorImpressions: r.newCreatorImpressions,
    newCreatorEngagements: r.newCreatorEngagements,
    feedErrors: r.feedErrors,
    satisfaction: user.satisfaction,
    meanSatisfaction: r.sessions > 0 ? r.satisfactionSum / r.sessions : undefined,
    activeDays: r.activeDays.size,
    activity: user.activity,
    lapsedAtStart,
    lapsedAtEnd: user.lapsed,
  };
}

export function summarize(input: {
  parameters: SimulationParameters;
  users: readonly SimulatedUser[];
  lapsedAtStart: ReadonlySet<string>;
  endMs: number;
  wallMs: number;
  published: PublishTally;
  content: { postsCreated: number; newCreators: number };
  perUser: boolean;
}): SimulationSummary {
  const { parameters, users } = input;
  const records = users.map((user) => userRecord(user, input.lapsedAtStart.has(user.id)));
  const sum = (pick: (r: SimulatedUserRecord) => number) =>
    records.reduce((total, r) => total + pick(r), 0);
  const impressions = sum((r) => r.impressions);
  const likes = sum((r) => r.likes);
  const reblogs = sum((r) => r.reblogs);
  const replies = sum((r) => r.replies);
  const days = Math.ceil(parameters.days);
  const activeByDay = Array.from(
    { length: days },
    (_, day) => users.filter((u) => u.record.activeDays.has(day)).length,
  );
  const firstDay = users.filter((u) => u.record.activeDays.has(0));
  const satisfactions = users.map((u) => u.satisfaction).sort((a, b) => a - b);
  const total = likes + reblogs + replies;
  return {
    seed: parameters.seed,
    runTag: parameters.runTag,
    users: users.length,
    days: parameters.days,
    startMs: parameters.startMs,
    endMs: input.endMs,
    wallMs: input.wallMs,
    sessions: sum((r) => r.sessions),
    impressions,
    engagements: {
      likes,
      reblogs,
      replies,
      total,
      perImpression: ratio(total, impressions),
    },
    hides: sum((r) => r.hides),
    follows: sum((r) => r.follows),
    notificationsOpened: sum((r) => r.notificationsOpened),
    feedErrors: sum((r) => r.feedErrors),
    content: input.content,
    newCreators: {
      impressionShare: ratio(
        sum((r) => r.newCreatorImpressions),
        impressions,
      ),
      engagementShare: ratio(
        sum((r) => r.newCreatorEngagements),
        sum((r) => r.engagedItems),
      ),
    },
    published: input.published,
    satisfaction: {
      mean: ratio(
        satisfactions.reduce((a, b) => a + b, 0),
        satisfactions.length,
      ),
      p10: quantile(satisfactions, 0.1),
      p50: quantile(satisfactions, 0.5),
      p90: quantile(satisfactions, 0.9),
    },
    retention: {
      activeByDay,
      firstToLastDay: ratio(
        firstDay.filter((u) => u.record.activeDays.has(days - 1)).length,
        firstDay.length,
      ),
      lapsedAtStart: input.lapsedAtStart.size,
      lapsedAtEnd: users.filter((u) => u.lapsed).length,
      reactivated: sum((r) => r.reactivations),
      relativeReturnGap: {
        satisfied: meanGap(users.map((u) => u.record.returnsAfterSatisfied)),
        dissatisfied: meanGap(users.map((u) => u.record.returnsAfterDissatisfied)),
      },
    },
    ...(input.perUser ? { perUser: records } : {}),
  };
}

function meanGap(returns: readonly { count: number; relativeGapSum: number }[]): number {
  let count = 0;
  let total = 0;
  for (const r of returns) {
    count += r.count;
    total += r.relativeGapSum;
  }
  return ratio(total, count);
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
