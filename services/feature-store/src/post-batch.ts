import type { PostMeta, StoredPost } from './post-meta.js';
import { LAYOUTS } from './state-layout.js';

/** Where each post's blog and tags sit among a read's joins (`CandidateJoins`). */
export interface JoinSlots {
  /** Per post: its blog's slot, or -1 while its meta is unknown. */
  readonly blogSlots: Int32Array;
  /** Per post: where its tags' slots start in `tagSlots`, and how many. */
  readonly tagFrom: Int32Array;
  readonly tagCount: Int32Array;
  readonly tagSlots: Int32Array;
}

/**
 * The posts of a GetFeatures read, laid out for the hot path: every known post's cells in one
 * Float64Array, found by offset, and its blog and tags by slot; no object per post.
 */
export class PostBatch {
  constructor(
    /** Distinct, in the order they were asked for. */
    readonly ids: readonly string[],
    /** `LAYOUTS.post.cellCount` cells per known post. */
    readonly cells: Float64Array,
    /** Per post: where its cells start, or -1 when the post is unknown. */
    readonly offsets: Int32Array,
    /** Per post: its meta, undefined while unknown. */
    readonly metas: readonly (PostMeta | undefined)[],
    readonly slots: JoinSlots,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  /** One post's state (a copy) and meta; for tests and tools, not the hot path. */
  get(postId: string): StoredPost | undefined {
    const i = this.ids.indexOf(postId);
    if (i < 0) return undefined;
    const offset = this.offsets[i]!;
    const state =
      offset < 0 ? undefined : this.cells.slice(offset, offset + LAYOUTS.post.cellCount);
    return { state, meta: this.metas[i] };
  }
}

/** Gives each distinct blog and tag a slot the first time it is seen (the plain way, by Map). */
export class SlotAssigner {
  readonly blogIds: string[] = [];
  readonly tags: string[] = [];
  private readonly blogSlot = new Map<string, number>();
  private readonly tagSlot = new Map<string, number>();

  blog(blogId: string): number {
    let slot = this.blogSlot.get(blogId);
    if (slot === undefined) {
      slot = this.blogIds.length;
      this.blogSlot.set(blogId, slot);
      this.blogIds.push(blogId);
    }
    return slot;
  }

  tag(tag: string): number {
    let slot = this.tagSlot.get(tag);
    if (slot === undefined) {
      slot = this.tags.length;
      this.tagSlot.set(tag, slot);
      this.tags.push(tag);
    }
    return slot;
  }

  /** The slots of posts with these metas (undefined: unknown). */
  slotsOf(metas: readonly (PostMeta | undefined)[]): JoinSlots {
    const blogSlots = new Int32Array(metas.length).fill(-1);
    const tagFrom = new Int32Array(metas.length);
    const tagCount = new Int32Array(metas.length);
    const tagSlots: number[] = [];
    metas.forEach((meta, i) => {
      if (meta === undefined) return;
      blogSlots[i] = this.blog(meta.blogId);
      tagFrom[i] = tagSlots.length;
      tagCount[i] = meta.tags.length;
      for (const tag of meta.tags) tagSlots.push(this.tag(tag));
    });
    return { blogSlots, tagFrom, tagCount, tagSlots: Int32Array.from(tagSlots) };
  }
}

/** A batch of posts from one state and meta per post (the in-memory store, tests). */
export function postBatchOf(
  ids: readonly string[],
  states: readonly (Float64Array | undefined)[],
  metas: readonly (PostMeta | undefined)[],
  assigner: SlotAssigner = new SlotAssigner(),
): PostBatch {
  const { cellCount } = LAYOUTS.post;
  const cells = new Float64Array(ids.length * cellCount);
  const offsets = new Int32Array(ids.length).fill(-1);
  let used = 0;
  states.forEach((state, i) => {
    if (state === undefined) return;
    cells.set(state, used);
    offsets[i] = used;
    used += cellCount;
  });
  return new PostBatch(ids, cells, offsets, metas, assigner.slotsOf(metas));
}
