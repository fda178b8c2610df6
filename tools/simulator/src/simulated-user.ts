import type { TopicWeight, WorldUser } from '@feedmesh/world';
import { meanReturnGapMs } from './behaviour-model.js';
import { hash32, hashUniform, RandomStream } from './randomness.js';
import { DAY_MS } from './simulation-options.js';

/** Where satisfaction drifts back to between sessions, and where a new user starts. */
export const NEUTRAL_SATISFACTION = 0.5;

/**
 * One simulated person: hidden tastes drawn from the world's truth, and a satisfaction that
 * follows what their feeds gave them and decides when they come back.
 */
export class SimulatedUser {
  readonly id: string;
  readonly interests: readonly TopicWeight[];
  /** Sessions per day when neither satisfied nor not (the world's activity, bounded). */
  readonly activity: number;
  /** In [0, 1]: how much a post from a new creator appeals beyond its topic and quality. */
  readonly noveltyTaste: number;
  readonly random: RandomStream;
  private readonly heaviest: number;

  /** In [0, 1]; moves with each session, drifts back to neutral in between. */
  satisfaction = NEUTRAL_SATISFACTION;
  satisfactionAtMs: number;
  /** Stopped opening the app; only a notification can bring them back. */
  lapsed: boolean;
  /** Next time they open the app (or, lapsed, look at a push notification). */
  nextAtMs: number;
  /** Satisfaction right after the last visit, while they keep coming back by themselves. */
  moodAfterLastVisit: number | undefined;
  readonly record: UserRecordCounters;
  /** Blogs they followed during the run (the world's earlier follows are the mesh's). */
  readonly followed = new Set<string>();

  constructor(person: WorldUser, seed: number, startMs: number, lapsedAtStart: boolean) {
    this.id = person.id;
    this.interests = person.interests;
    this.heaviest = Math.max(...person.interests.map((i) => i.weight), 1e-9);
    this.activity = Math.min(4, Math.max(0.3, person.activity));
    this.noveltyTaste = hashUniform(seed, 'novelty', person.id);
    this.random = new RandomStream(hash32(`${seed}|user|${person.id}`));
    this.satisfactionAtMs = startMs;
    this.lapsed = lapsedAtStart;
    // The first visit as if the user had been coming at their usual rhythm all along (a
    // lapsed user first looks at their phone some time in the first day).
    this.nextAtMs =
      startMs +
      (lapsedAtStart
        ? this.random.next() * DAY_MS
        : this.random.exponential(meanReturnGapMs(this.activity, NEUTRAL_SATISFACTION)));
    this.record = emptyCounters();
  }

  /** How much of their attention `topics` hold, relative to their main interest: 0 to 1. */
  affinity(topics: readonly number[]): number {
    let best = 0;
    for (const topic of topics) {
      const weight = this.interests.find((i) => i.topic === topic)?.weight ?? 0;
      best = Math.max(best, weight / this.heaviest);
    }
    return best;
  }

  /** Satisfaction at `atMs`, drifted back towards neutral since the last session. */
  satisfactionAt(atMs: number, halfLifeMs: number): number {
    const decay = 0.5 ** (Math.max(0, atMs - this.satisfactionAtMs) / halfLifeMs);
    return NEUTRAL_SATISFACTION + (this.satisfaction - NEUTRAL_SATISFACTION) * decay;
  }
}

export interface UserRecordCounters {
  sessions: number;
  impressions: number;
  likes: number;
  reblogs: number;
  replies: number;
  hides: number;
  engagedItems: number;
  follows: number;
  notificationsOpened: number;
  reactivations: number;
  newCreatorImpressions: number;
  newCreatorEngagements: number;
  feedErrors: number;
  lastSessionAtMs: number | undefined;
  /** Simulated days (0-based) with at least one session. */
  activeDays: Set<number>;
  /** experiment -> variant, as the gateway reported it. */
  experiments: Map<string, string>;
  satisfactionSum: number;
  /** Gaps between two visits, in units of the user's usual gap, after a satisfying visit or not. */
  returnsAfterSatisfied: { count: number; relativeGapSum: number };
  returnsAfterDissatisfied: { count: number; relativeGapSum: number };
}

function emptyCounters(): UserRecordCounters {
  return {
    sessions: 0,
    impressions: 0,
    likes: 0,
    reblogs: 0,
    replies: 0,
    hides: 0,
    engagedItems: 0,
    follows: 0,
    notificationsOpened: 0,
    reactivations: 0,
    newCreatorImpressions: 0,
    newCreatorEngagements: 0,
    feedErrors: 0,
    lastSessionAtMs: undefined,
    activeDays: new Set(),
    experiments: new Map(),
    satisfactionSum: 0,
    returnsAfterSatisfied: { count: 0, relativeGapSum: 0 },
    returnsAfterDissatisfied: { count: 0, relativeGapSum: 0 },
  };
}
