import type { DigestSubject } from './activity.js';
import { groupKeyOf } from './activity.js';
import { ExpiringMap } from './expiring-map.js';

/** One activity to fold into its subject's pending digest. */
export interface DigestEntry {
  readonly subject: DigestSubject;
  readonly eventId: string;
  readonly actorId: string;
  readonly atMs: number;
}

/** A digest as claimed for flushing: everything needed to render and deliver it. */
export interface PendingDigest {
  /** The event id of its first activity: unique, and stable across flush retries. */
  readonly digestId: string;
  readonly subject: DigestSubject;
  /** Distinct actors, most recent first, at most LISTED_ACTORS. */
  readonly actorIds: readonly string[];
  /** Distinct actors (see TRACKED_ACTORS for very large digests). */
  readonly actorCount: number;
  /** Activities digested. */
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
  /** When it became (or becomes again, once postponed) due. */
  readonly flushAtMs: number;
}

/**
 * Pending digests: activity on one subject within a window merges into one notification.
 *
 * A digest opens with its first activity and is due `windowMs` after it (event time, but never
 * later than `windowMs` after it was added, so an event stamped in the future cannot hold a
 * digest back). Activity joins the open digest of its subject while its `at_ms` is before the
 * digest's flush time; later activity opens a new one. Claiming a due digest closes it (new
 * activity opens a new digest, so nothing that arrives mid-flush is lost) and leases it: if the
 * flusher dies, the digest is due again when the lease ends. Delivery is idempotent on the
 * digest id, so a digest flushed twice is delivered once.
 *
 * `add` is idempotent on the event id for `eventMemoryMs`: an event delivered twice by the log
 * is digested once.
 */
export interface DigestStore {
  add(entry: DigestEntry, nowMs: number): Promise<'added' | 'duplicate'>;
  /**
   * Up to `limit` digests due at `nowMs`, closed and leased for `leaseMs`: the longest due
   * first (on Redis, within each shard; shards take turns).
   */
  claimDue(nowMs: number, limit: number, leaseMs: number): Promise<PendingDigest[]>;
  /** The digest was delivered or dropped: forget it. */
  complete(digest: PendingDigest): Promise<void>;
  /**
   * A policy held the digest back: it is due again at `untilMs`, and reopens to new activity
   * (which keeps merging into it) unless its subject opened another digest meanwhile.
   */
  postpone(digest: PendingDigest, untilMs: number): Promise<void>;
  /** Digests not yet completed, claimed or not. */
  pendingCount(): Promise<number>;
}

export interface DigestSettings {
  readonly windowMs: number;
  /**
   * How long an event id is remembered as digested. Must outlast the oldest activity the
   * trigger accepts, so an event redelivered later is either remembered or too old to notify.
   */
  readonly eventMemoryMs: number;
}

/** The proto lists at most 20 actors. */
export const LISTED_ACTORS = 20;

/**
 * Distinct actors remembered per digest. Beyond it the least recent are forgotten and counted,
 * so a viral post costs bounded memory and its count is exact unless a forgotten actor acts
 * again within the same digest.
 */
export const TRACKED_ACTORS = 5_000;

export function flushAtOf(atMs: number, nowMs: number, windowMs: number): number {
  return Math.min(atMs, nowMs) + windowMs;
}

interface StoredDigest {
  readonly digestId: string;
  readonly groupKey: string;
  readonly subject: DigestSubject;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  flushAtMs: number;
  /** Where it sits in the due order: its flush time, or the end of its lease once claimed. */
  dueAtMs: number;
  readonly actors: Map<string, number>;
  forgottenActors: number;
}

/** The embedded store: the same semantics as the Redis one, gone with the process. */
export class InMemoryDigestStore implements DigestStore {
  private readonly digests = new Map<string, StoredDigest>();
  private readonly open = new Map<string, string>();
  private readonly digestedEvents = new ExpiringMap<true>();

  constructor(private readonly settings: DigestSettings) {}

  async add(entry: DigestEntry, nowMs: number): Promise<'added' | 'duplicate'> {
    const ttl = this.settings.eventMemoryMs;
    if (this.digestedEvents.setIfAbsent(entry.eventId, true, nowMs, ttl)) return 'duplicate';
    const groupKey = groupKeyOf(entry.subject);
    const openId = this.open.get(groupKey);
    let digest = openId === undefined ? undefined : this.digests.get(openId);
    if (digest === undefined || entry.atMs >= digest.flushAtMs) {
      const flushAtMs = flushAtOf(entry.atMs, nowMs, this.settings.windowMs);
      digest = {
        digestId: entry.eventId,
        groupKey,
        subject: entry.subject,
        count: 0,
        firstAtMs: entry.atMs,
        lastAtMs: entry.atMs,
        flushAtMs,
        dueAtMs: flushAtMs,
        actors: new Map(),
        forgottenActors: 0,
      };
      this.digests.set(digest.digestId, digest);
      this.open.set(groupKey, digest.digestId);
    }
    digest.count += 1;
    digest.firstAtMs = Math.min(digest.firstAtMs, entry.atMs);
    digest.lastAtMs = Math.max(digest.lastAtMs, entry.atMs);
    const seen = digest.actors.get(entry.actorId);
    if (seen === undefined || entry.atMs > seen) digest.actors.set(entry.actorId, entry.atMs);
    if (digest.actors.size > TRACKED_ACTORS) {
      const [leastRecent] = byRecency(digest.actors).slice(-1);
      if (leastRecent !== undefined) digest.actors.delete(leastRecent);
      digest.forgottenActors += 1;
    }
    return 'added';
  }

  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<PendingDigest[]> {
    const due = [...this.digests.values()]
      .filter((digest) => digest.dueAtMs <= nowMs)
      .sort((a, b) => a.dueAtMs - b.dueAtMs || compare(a.digestId, b.digestId))
      .slice(0, limit);
    for (const digest of due) {
      digest.dueAtMs = nowMs + leaseMs;
      if (this.open.get(digest.groupKey) === digest.digestId) this.open.delete(digest.groupKey);
    }
    return due.map(snapshot);
  }

  async complete(pending: PendingDigest): Promise<void> {
    const digest = this.digests.get(pending.digestId);
    if (digest === undefined) return;
    this.digests.delete(digest.digestId);
    if (this.open.get(digest.groupKey) === digest.digestId) this.open.delete(digest.groupKey);
  }

  async postpone(pending: PendingDigest, untilMs: number): Promise<void> {
    const digest = this.digests.get(pending.digestId);
    if (digest === undefined) return;
    digest.flushAtMs = untilMs;
    digest.dueAtMs = untilMs;
    if (!this.open.has(digest.groupKey)) this.open.set(digest.groupKey, digest.digestId);
  }

  async pendingCount(): Promise<number> {
    return this.digests.size;
  }
}

function snapshot(digest: StoredDigest): PendingDigest {
  return {
    digestId: digest.digestId,
    subject: digest.subject,
    actorIds: byRecency(digest.actors).slice(0, LISTED_ACTORS),
    actorCount: digest.actors.size + digest.forgottenActors,
    count: digest.count,
    firstAtMs: digest.firstAtMs,
    lastAtMs: digest.lastAtMs,
    flushAtMs: digest.flushAtMs,
  };
}

/** Most recent first; ties by id descending, as ZREVRANGE orders equal scores. */
function byRecency(actors: ReadonlyMap<string, number>): string[] {
  return [...actors.entries()]
    .sort(([idA, atA], [idB, atB]) => atB - atA || compare(idB, idA))
    .map(([id]) => id);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
