import { InvalidArgumentError } from '@feedmesh/errors';

/**
 * How long a deleted post id is remembered by default: 7 days, the event log's
 * processed-marker TTL (`DEFAULT_PROCESSED_TTL_MS` of @feedmesh/events), the horizon within
 * which the log itself expects an event to come back (a producer's retry, a redelivery).
 */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The longest between two sweeps: ids outlive the retention by at most this much. */
const MAX_SWEEP_INTERVAL_MS = 60_000;

/** Deleted post ids as plain arrays, oldest deletion first (for a snapshot). */
export interface TombstoneData {
  readonly postIds: string[];
  /** When each deletion was applied, ms on the index's clock. */
  readonly deletedAtMs: Float64Array;
}

/**
 * The ids of deleted posts, each with when its deletion was applied, so that a PostCreated
 * delivered again (or late) after its PostDeleted does not bring the post back. An id is
 * forgotten once its deletion is older than `retentionMs`, so the set holds the deletions of
 * one retention, not of the site's whole life.
 *
 * Timed by when the index applied the deletion, not by the event's `at_ms`: what has to be
 * covered is how long after that the log may hand over the PostCreated, and the producer's
 * timestamp says nothing about that (a backfill's are days old). A rebuild from the log
 * therefore remembers every deletion it reads for one more retention.
 */
export class PostTombstones {
  /** Post id → when its deletion was applied; insertion order is oldest first. */
  private readonly deletedAt = new Map<string, number>();
  private readonly sweepIntervalMs: number;
  private lastSweepAtMs = -Infinity;

  constructor(
    readonly retentionMs: number,
    private readonly now: () => number,
  ) {
    if (!(Number.isFinite(retentionMs) && retentionMs > 0)) {
      throw new InvalidArgumentError(
        'tombstoneRetentionMs',
        'must be a positive number of milliseconds',
      );
    }
    this.sweepIntervalMs = Math.min(MAX_SWEEP_INTERVAL_MS, retentionMs / 16);
  }

  /** Ids remembered, expired ones not swept yet included. */
  get size(): number {
    return this.deletedAt.size;
  }

  /**
   * Remembers a deletion, now. A repeat restarts its time: the log is delivering this post's
   * events again, so its PostCreated may follow.
   */
  add(postId: string): void {
    const nowMs = this.now();
    this.deletedAt.delete(postId);
    this.deletedAt.set(postId, nowMs);
    // Either way: a clock stepped back must not hold off the sweeps until it catches up.
    if (Math.abs(nowMs - this.lastSweepAtMs) >= this.sweepIntervalMs) this.forgetExpired(nowMs);
  }

  /** Whether the post was deleted within the retention. */
  has(postId: string): boolean {
    const at = this.deletedAt.get(postId);
    if (at === undefined) return false;
    if (!this.expired(at, this.now())) return true;
    this.deletedAt.delete(postId);
    return false;
  }

  /** Forgets every deletion older than the retention; returns how many. */
  forgetExpired(nowMs: number = this.now()): number {
    this.lastSweepAtMs = nowMs;
    let forgotten = 0;
    for (const [postId, at] of this.deletedAt) {
      // Oldest first: the first one kept ends the sweep. (After the clock stepped back, a
      // later one may be older; `has` still treats it as expired, the next sweeps drop it.)
      if (!this.expired(at, nowMs)) break;
      this.deletedAt.delete(postId);
      forgotten += 1;
    }
    return forgotten;
  }

  /** The unexpired deletions, oldest first. */
  exportData(): TombstoneData {
    this.forgetExpired();
    const postIds: string[] = [];
    const deletedAtMs = new Float64Array(this.deletedAt.size);
    for (const [postId, at] of this.deletedAt) {
      deletedAtMs[postIds.length] = at;
      postIds.push(postId);
    }
    return { postIds, deletedAtMs };
  }

  /**
   * Adds what `exportData` captured, in its order. Without times (a snapshot from before
   * they were kept), each deletion counts as applied now.
   */
  restore(postIds: readonly string[], deletedAtMs: Float64Array | undefined): void {
    if (deletedAtMs !== undefined && deletedAtMs.length !== postIds.length) {
      throw new RangeError(
        `${postIds.length} deleted post ids but ${deletedAtMs.length} deletion times`,
      );
    }
    const nowMs = this.now();
    for (let i = 0; i < postIds.length; i += 1) {
      const postId = postIds[i] as string;
      this.deletedAt.delete(postId);
      this.deletedAt.set(postId, deletedAtMs?.[i] ?? nowMs);
    }
    this.forgetExpired(nowMs);
  }

  private expired(at: number, nowMs: number): boolean {
    return nowMs - at > this.retentionMs;
  }
}
