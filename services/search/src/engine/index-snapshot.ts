import type { SearchIndex } from './search-index.js';

/**
 * The seam for restart without a full replay (the later search issue): persist the index
 * with the event-log position it covers, restore it at start, then let the replica's group
 * catch up from that position. Not implemented yet: today a replica rebuilds from the whole
 * retained log at start (see `startSearch`).
 *
 * An implementation would write the segment's pages and columns (they are typed arrays, so a
 * snapshot is a few large buffers), the blog directory and the removed-post set, to disk or
 * Redis, together with the last entry id the group acknowledged in each partition.
 */
export interface IndexSnapshotStore {
  /** The latest snapshot, or undefined when there is none (then rebuild from the log). */
  load(): Promise<IndexSnapshot | undefined>;
  save(index: SearchIndex, positions: ReadonlyMap<number, string>): Promise<void>;
}

export interface IndexSnapshot {
  readonly index: SearchIndex;
  /** Per partition, the last event-log entry id the snapshot includes. */
  readonly positions: ReadonlyMap<number, string>;
  readonly takenAtMs: number;
}
