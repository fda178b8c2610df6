/** What the service knows of a user's sessions. */
export interface SessionRecord {
  /** The latest SessionStarted, ms since the epoch. */
  readonly lastAtMs: number;
  /** The `lastAtMs` a reactivation digest was last made for; 0 for none. */
  readonly reactivatedForMs: number;
}

/** A user whose lapse check is due, leased to the caller until `leaseUntilMs`. */
export interface LapseCheck {
  readonly userId: string;
  readonly leaseUntilMs: number;
}

export interface SessionSettings {
  /** A user is lapsed this long after their last session: their check is due then. */
  readonly lapseMs: number;
  /** A user's sessions are forgotten this long after the last one (longer lapses are churn). */
  readonly memoryMs: number;
}

/**
 * Each user's last session, learned from SessionStarted, and a schedule of lapse checks: every
 * session (re)schedules the user's check `lapseMs` after it, so a user who keeps coming back is
 * never due, and the reactivation job finds lapsed users without scanning everyone. Checks are
 * claimed with a lease like digests: a replica that dies mid-check leaves it due again later.
 * Event times decide, and a session older than the one recorded changes nothing, so replays
 * and redeliveries are harmless.
 */
export interface SessionStore {
  record(userId: string, atMs: number): Promise<void>;
  get(userId: string): Promise<SessionRecord | undefined>;
  claimDue(nowMs: number, limit: number, leaseMs: number): Promise<LapseCheck[]>;
  /** The check is done: forgotten unless a new session rescheduled it meanwhile. */
  complete(check: LapseCheck): Promise<void>;
  /** A reactivation digest was made for the lapse after `lastAtMs`: none again for it. */
  markReactivated(userId: string, lastAtMs: number): Promise<void>;
}

export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, { lastAtMs: number; reactivatedForMs: number }>();
  private readonly due = new Map<string, number>();

  constructor(private readonly settings: SessionSettings) {}

  async record(userId: string, atMs: number): Promise<void> {
    const session = this.sessions.get(userId);
    if (session === undefined) this.sessions.set(userId, { lastAtMs: atMs, reactivatedForMs: 0 });
    else session.lastAtMs = Math.max(session.lastAtMs, atMs);
    const dueAt = atMs + this.settings.lapseMs;
    this.due.set(userId, Math.max(this.due.get(userId) ?? -Infinity, dueAt));
  }

  async get(userId: string): Promise<SessionRecord | undefined> {
    const session = this.sessions.get(userId);
    return session === undefined ? undefined : { ...session };
  }

  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<LapseCheck[]> {
    const due = [...this.due.entries()]
      .filter(([, at]) => at <= nowMs)
      .sort(([userA, a], [userB, b]) => a - b || (userA < userB ? -1 : 1))
      .slice(0, limit);
    return due.map(([userId]) => {
      this.due.set(userId, nowMs + leaseMs);
      return { userId, leaseUntilMs: nowMs + leaseMs };
    });
  }

  async complete(check: LapseCheck): Promise<void> {
    if (this.due.get(check.userId) === check.leaseUntilMs) this.due.delete(check.userId);
  }

  async markReactivated(userId: string, lastAtMs: number): Promise<void> {
    const session = this.sessions.get(userId);
    if (session !== undefined)
      session.reactivatedForMs = Math.max(session.reactivatedForMs, lastAtMs);
  }
}
