import type { DigestSubject } from './activity.js';
import { groupKeyOf } from './activity.js';
import { ExpiringMap } from './expiring-map.js';

/** One thing to fold into its subject's pending digest: an activity, a new post, a trend. */
export interface DigestEntry {
  readonly subject: DigestSubject;
  /** Unique per entry and recipient: what makes adding it twice harmless. */
  readonly eventId: string;
  /** Who (or, for NEW_POST and REACTIVATION, which blogs) it is from; may be empty. */
  readonly actorIds: readonly string[];
  /** Posts it is about when the subject spans several (NEW_POST, TRENDING, REACTIVATION). */
  readonly postIds?: readonly string[];
  readonly atMs: number;
  /** The subject's digest window; the store's default when undefined. 0 is due at once. */
  readonly windowMs?: number;
}

/** A digest as claimed for flushing: everything needed to render and deliver it. */
export interface PendingDigest {
  /** The event id of its first entry: unique, and stable across flush retries. */
  readonly digestId: string;
  readonly subject: DigestSubject;
  /** Distinct actors, most recent first, at most LISTED_ACTORS. */
  readonly actorIds: readonly string[];
  /** Distinct actors (see TRACKED_ACTORS for very large digests). */
  readonly actorCount: number;
  /** Posts named by its entries, most recent first, at most LISTED_POSTS. */
  readonly postIds: readonly string[];
  /** Entries digested. */
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
  /** When it became (or becomes again, once postponed) due. */
  readonly flushAtMs: number;
}

/**
 * Pending digests: activity on one subject within a window merges into one notification.
 *
 * A digest opens with its first entry and is due its window after it (event time, but never
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
   * `add` of each entry (a new post's fan-out: one per recipient), in one round trip where
   * the store can (one pipeline on a single Redis). Resolves with each entry's outcome, in
   * order; rejects if any add failed (those that succeeded stay added: adding again is
   * harmless).
   */
  addAll(entries: readonly DigestEntry[], nowMs: number): Promise<('added' | 'duplicate')[]>;
  /**
   * About `limit` digests due at `nowMs`, closed and leased for `leaseMs`, the longest due
   * first (on Redis, up to ceil(limit / shards) from each shard, so a little more than `limit`
   * in all). Claim again until nothing is left. With `users`, only where their digests are
   * (on Redis, their shards, with whatever else is due there; in memory, their digests).
   */
  claimDue(
    nowMs: number,
    limit: number,
    leaseMs: number,
    users?: readonly string[],
  ): Promise<PendingDigest[]>;
  /** The digest was delivered or dropped: forget it. */
  complete(digest: PendingDigest): Promise<void>;
  /**
   * A policy held the digest back: it is due again at `untilMs`, and reopens to new activity
   * (which keeps merging into it) unless its subject opened another digest meanwhile.
   */
  postpone(digest: PendingDigest, untilMs: number): Promise<void>;
  /** Digests not yet completed, claimed or not. */
  pendingCount(): Promise<number>;
  /**
   * How many of the digest's entries each of `actorIds` made (a user's likes or replies of an
   * ACTIVITY digest, a blog's posts of a NEW_POST one), for those among the actors it tracks,
   * listed or not; the others are not in the map. What the blocked policy takes out of a
   * count. Empty once the digest was completed.
   */
  actorEntries(
    digest: Pick<PendingDigest, 'digestId' | 'subject'>,
    actorIds: readonly string[],
  ): Promise<Map<string, number>>;
  /**
   * The posts its entries named, most recent first: the LISTED_POSTS it lists and the older
   * ones, at most TRACKED_POSTS. What the deleted-post policy checks. Empty once the digest was
   * completed.
   */
  trackedPostIds(digest: Pick<PendingDigest, 'digestId' | 'subject'>): Promise<string[]>;
}

export interface DigestSettings {
  /** The window of entries that do not name their own. */
  readonly windowMs: number;
  /**
   * How long an event id is remembered as digested. Must outlast the oldest activity the
   * trigger accepts, so an event redelivered later is either remembered or too old to notify.
   */
  readonly eventMemoryMs: number;
}

/** The proto lists at most 20 actors. */
export const LISTED_ACTORS = 20;

/** Posts a claimed digest lists (the most recent): a notification links to a handful at most. */
export const LISTED_POSTS = 20;

/**
 * Posts remembered per digest (the most recent), listed or not: what the deleted-post policy
 * checks, so that a NEW_POST counts no deleted post and names no blog with none left. Beyond
 * it the least recent are forgotten, and counted as live: a NEW_POST digest gathers the posts
 * of a recipient's few favourite blogs (NOTIFICATION_NEW_POST_TOP_BLOGS, 5 by default) while it
 * waits, a window or a postponement (a quiet night, a fatigue gap), so 500 is a hundred each,
 * and a digest's posts cost at most 500 ids however prolific its blogs.
 */
export const TRACKED_POSTS = 500;

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
  /** Entries per tracked actor. */
  readonly entries: Map<string, number>;
  forgottenActors: number;
  readonly posts: Map<string, number>;
}

/** The embedded store: the same semantics as the Redis one, gone with the process. */
export class InMemoryDigestStore implements DigestStore {
  private readonly digests = new Map<string, StoredDigest>();
  private readonly open = new Map<string, string>();
  private readonly digestedEvents = new ExpiringMap<true>();

  constructor(private readonly settings: DigestSettings) {}

  async addAll(entries: readonly DigestEntry[], nowMs: number): Promise<('added' | 'duplicate')[]> {
    const outcomes: ('added' | 'duplicate')[] = [];
    for (const entry of entries) outcomes.push(await this.add(entry, nowMs));
    return outcomes;
  }

  async add(entry: DigestEntry, nowMs: number): Promise<'added' | 'duplicate'> {
    const ttl = this.settings.eventMemoryMs;
    if (this.digestedEvents.setIfAbsent(entry.eventId, true, nowMs, ttl)) return 'duplicate';
    const groupKey = groupKeyOf(entry.subject);
    const openId = this.open.get(groupKey);
    let digest = openId === undefined ? undefined : this.digests.get(openId);
    if (digest === undefined || entry.atMs >= digest.flushAtMs) {
      const flushAtMs = flushAtOf(entry.atMs, nowMs, entry.windowMs ?? this.settings.windowMs);
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
        entries: new Map(),
        forgottenActors: 0,
        posts: new Map(),
      };
      this.digests.set(digest.digestId, digest);
      this.open.set(groupKey, digest.digestId);
    }
    digest.count += 1;
    digest.firstAtMs = Math.min(digest.firstAtMs, entry.atMs);
    digest.lastAtMs = Math.max(digest.lastAtMs, entry.atMs);
    // The i-th actor (and post) of an entry counts as i ms older: an entry's order is kept.
    entry.actorIds.forEach((actorId, i) => {
      if (actorId === '') return;
      digest.entries.set(actorId, (digest.entries.get(actorId) ?? 0) + 1);
      const seen = digest.actors.get(actorId);
      if (seen === undefined || entry.atMs - i > seen) digest.actors.set(actorId, entry.atMs - i);
    });
    const excess = digest.actors.size - TRACKED_ACTORS;
    if (excess > 0) {
      for (const leastRecent of byRecency(digest.actors).slice(-excess)) {
        digest.actors.delete(leastRecent);
        digest.entries.delete(leastRecent);
      }
      digest.forgottenActors += excess;
    }
    (entry.postIds ?? []).forEach((postId, i) => {
      const seen = digest.posts.get(postId);
      if (seen === undefined || entry.atMs - i > seen) digest.posts.set(postId, entry.atMs - i);
    });
    if (digest.posts.size > TRACKED_POSTS) {
      for (const stale of byRecency(digest.posts).slice(TRACKED_POSTS)) digest.posts.delete(stale);
    }
    return 'added';
  }

  async claimDue(
    nowMs: number,
    limit: number,
    leaseMs: number,
    users?: readonly string[],
  ): Promise<PendingDigest[]> {
    const only = users === undefined ? undefined : new Set(users);
    const due = [...this.digests.values()]
      .filter((digest) => digest.dueAtMs <= nowMs)
      .filter((digest) => only === undefined || only.has(digest.subject.userId))
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

  async actorEntries(
    pending: Pick<PendingDigest, 'digestId' | 'subject'>,
    actorIds: readonly string[],
  ): Promise<Map<string, number>> {
    const entries = new Map<string, number>();
    const digest = this.digests.get(pending.digestId);
    for (const actorId of actorIds) {
      const made = digest?.entries.get(actorId);
      if (made !== undefined) entries.set(actorId, made);
    }
    return entries;
  }

  async trackedPostIds(pending: Pick<PendingDigest, 'digestId' | 'subject'>): Promise<string[]> {
    const digest = this.digests.get(pending.digestId);
    return digest === undefined ? [] : byRecency(digest.posts);
  }
}

function snapshot(digest: StoredDigest): PendingDigest {
  return {
    digestId: digest.digestId,
    subject: digest.subject,
    actorIds: byRecency(digest.actors).slice(0, LISTED_ACTORS),
    actorCount: digest.actors.size + digest.forgottenActors,
    postIds: byRecency(digest.posts).slice(0, LISTED_POSTS),
    count: digest.count,
    firstAtMs: digest.firstAtMs,
    lastAtMs: digest.lastAtMs,
    flushAtMs: digest.flushAtMs,
  };
}

/** Most recent first; ties by id descending, as ZREVRANGE orders equal scores. */
function byRecency(members: ReadonlyMap<string, number>): string[] {
  return [...members.entries()]
    .sort(([idA, atA], [idB, atB]) => atB - atA || compare(idB, idA))
    .map(([id]) => id);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
