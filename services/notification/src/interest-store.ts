/** What a user can care about: a blog (NEW_POST) or a tag (TRENDING). */
export type InterestKind = 'blog' | 'tag';

export interface InterestSettings {
  /** An engagement counts half as much after this long, ms. */
  readonly halfLifeMs: number;
  /** Strongest interests kept per user and kind. */
  readonly keptPerUser: number;
  /** Strongest fans kept per blog or tag: the most one new post or trend can reach. */
  readonly fansPerTarget: number;
  /** Interests and fans untouched this long are forgotten, ms. */
  readonly ttlMs: number;
}

/** 2020-01-01: decay is counted from here (see decayedLogWeight). */
const EPOCH_MS = Date.UTC(2020, 0, 1);

/**
 * An engagement of weight `w` at `atMs`, as the natural log of its weight in units that never
 * decay: ln(w) + (atMs - epoch) / halfLife · ln 2. Scores are sums kept in log space
 * (logAddExp), so they grow linearly with time and never overflow, and ranking by them at any
 * moment ranks by decayed affinity (every score decays at the same rate).
 */
export function decayedLogWeight(weight: number, atMs: number, halfLifeMs: number): number {
  return Math.log(weight) + ((atMs - EPOCH_MS) / halfLifeMs) * Math.LN2;
}

export function logAddExp(a: number, b: number): number {
  const high = Math.max(a, b);
  return high + Math.log1p(Math.exp(Math.min(a, b) - high));
}

/**
 * Who cares about what, learned from engagements and follows: per user their strongest blogs
 * and tags, and per blog and tag their strongest fans, both decayed by event time. The two
 * sides answer the triggers' two questions: who to tell about a new post or a trend (fans),
 * and whether it is among what that user cares about most (amongTop).
 */
export interface InterestStore {
  add(
    userId: string,
    kind: InterestKind,
    target: string,
    weight: number,
    atMs: number,
  ): Promise<void>;
  /** The user said otherwise (hid a post, blocked or unfollowed a blog): forget the affinity. */
  forget(userId: string, kind: InterestKind, target: string): Promise<void>;
  /** The strongest fans of the target, strongest first. */
  fans(kind: InterestKind, target: string, limit: number): Promise<string[]>;
  /** Those of `userIds` who count `target` among their `top` strongest interests of its kind. */
  amongTop(
    userIds: readonly string[],
    kind: InterestKind,
    target: string,
    top: number,
  ): Promise<string[]>;
}

/** A capped map of member -> log-space score, the in-memory twin of a capped zset. */
class ScoredSet {
  readonly scores = new Map<string, number>();

  add(member: string, logWeight: number, cap: number): void {
    const current = this.scores.get(member);
    this.scores.set(member, current === undefined ? logWeight : logAddExp(current, logWeight));
    if (this.scores.size > cap) {
      const weakest = this.ranked().slice(cap);
      for (const member of weakest) this.scores.delete(member);
    }
  }

  /** Strongest first; ties by member descending, as ZREVRANGE orders them. */
  ranked(): string[] {
    return [...this.scores.entries()]
      .sort(([a, x], [b, y]) => y - x || (a < b ? 1 : a > b ? -1 : 0))
      .map(([member]) => member);
  }
}

export class InMemoryInterestStore implements InterestStore {
  private readonly userSide = new Map<string, ScoredSet>();
  private readonly targetSide = new Map<string, ScoredSet>();

  constructor(private readonly settings: InterestSettings) {}

  async add(
    userId: string,
    kind: InterestKind,
    target: string,
    weight: number,
    atMs: number,
  ): Promise<void> {
    const logWeight = decayedLogWeight(weight, atMs, this.settings.halfLifeMs);
    setOf(this.userSide, `${kind}|${userId}`).add(target, logWeight, this.settings.keptPerUser);
    setOf(this.targetSide, `${kind}|${target}`).add(userId, logWeight, this.settings.fansPerTarget);
  }

  async forget(userId: string, kind: InterestKind, target: string): Promise<void> {
    this.userSide.get(`${kind}|${userId}`)?.scores.delete(target);
    this.targetSide.get(`${kind}|${target}`)?.scores.delete(userId);
  }

  async fans(kind: InterestKind, target: string, limit: number): Promise<string[]> {
    return (this.targetSide.get(`${kind}|${target}`)?.ranked() ?? []).slice(0, limit);
  }

  async amongTop(
    userIds: readonly string[],
    kind: InterestKind,
    target: string,
    top: number,
  ): Promise<string[]> {
    return userIds.filter((userId) => {
      const rank = this.userSide.get(`${kind}|${userId}`)?.ranked().indexOf(target) ?? -1;
      return rank >= 0 && rank < top;
    });
  }
}

function setOf(sets: Map<string, ScoredSet>, key: string): ScoredSet {
  let set = sets.get(key);
  if (set === undefined) {
    set = new ScoredSet();
    sets.set(key, set);
  }
  return set;
}
