import type { NearCacheEntry } from './near-cache.js';
import { LAYOUTS } from './state-layout.js';

/** What a meta generation knows of a post's value, kept while its near-cache entry lives. */
export const enum HeldValue {
  /** Not at hand: read it. */
  None = 0,
  /** At hand, with the post's cells in the generation's slab. */
  Cells = 1,
  /** At hand, without cells of this layout (written by another registry). */
  NoCells = 2,
  /** At hand: the key does not exist (the post expired). */
  Missing = 3,
}

/** What the store keeps of a post besides its counters: what joins it to blogs and tags. */
export interface PostMeta {
  readonly blogId: string;
  /** Distinct, in the post's order. */
  readonly tags: readonly string[];
  /** The root post of a reblog; empty for an original post. */
  readonly reblogOf: string;
}

export interface StoredPost {
  readonly state: Float64Array | undefined;
  readonly meta: PostMeta | undefined;
}

/**
 * The PostCreated a post is made of. A post can be created twice (a producer's bug, a retry
 * under a new event id), with other content: the earliest wins, by `at_ms`, then by the
 * smaller event id, whichever arrives first, so every delivery order, replica and replay
 * agrees on the post. Its meta and every attribute of its creation (tag count, text length,
 * links, spam score, reblog flag, creation time) come from the winner alone.
 */
export interface Creation {
  readonly atMs: number;
  readonly eventId: string;
}

/** Whether `a` wins over `b` (see `Creation`); event ids compare by their UTF-8 bytes, as in Lua. */
export function createdBefore(a: Creation, b: Creation): boolean {
  if (a.atMs !== b.atMs) return a.atMs < b.atMs;
  return Buffer.compare(Buffer.from(a.eventId), Buffer.from(b.eventId)) < 0;
}

/**
 * What a creation by `creator` does to a post that has `stored` (see `Creation`): stores its
 * meta where there is none; replaces a meta of a later creator; finds its own (`same`: its
 * attributes are written again, nothing else); keeps a meta of an earlier creator, or of an
 * unknown one (stored before creators were), and a creation of no known creator replaces
 * nothing. The Lua twin is `creation_outcome` in redis-scripts.ts.
 */
export function creationOutcome(
  stored: StoredCreation | undefined,
  creator: Creation | undefined,
): 'create' | 'replace' | 'same' | 'keep' {
  if (stored === undefined) return 'create';
  if (creator === undefined || stored.creator === undefined) return 'keep';
  if (createdBefore(creator, stored.creator)) return 'replace';
  const same = creator.atMs === stored.creator.atMs && creator.eventId === stored.creator.eventId;
  return same ? 'same' : 'keep';
}

/** A post's stored meta with its creator (none for a meta stored before 2026-11-29). */
export interface StoredCreation {
  readonly meta: PostMeta;
  readonly creator: Creation | undefined;
}

/**
 * A post's meta as the Redis store keeps it: `[blogId, reblogOf, [tags...]]`, followed by its
 * creator's time and event id when known (`[..., atMs, eventId]`).
 */
export function encodeMeta(meta: PostMeta, creator?: Creation): string {
  const fields: unknown[] = [meta.blogId, meta.reblogOf, meta.tags];
  if (creator !== undefined) fields.push(creator.atMs, creator.eventId);
  return JSON.stringify(fields);
}

/** Undefined for anything that is not an encoded meta (an empty string: no meta yet). */
export function decodeMeta(raw: string): PostMeta | undefined {
  return decodeCreation(raw)?.meta;
}

/** The meta and its creator (undefined for a meta stored without one); see `encodeMeta`. */
export function decodeCreation(raw: string): StoredCreation | undefined {
  if (raw === '') return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!Array.isArray(parsed) || (parsed.length !== 3 && parsed.length !== 5)) return undefined;
    const [blogId, reblogOf, tags, atMs, eventId] = parsed as unknown[];
    if (typeof blogId !== 'string' || typeof reblogOf !== 'string' || !Array.isArray(tags)) {
      return undefined;
    }
    const meta = {
      blogId,
      reblogOf,
      tags: tags.filter((tag): tag is string => typeof tag === 'string'),
    };
    if (parsed.length === 3) return { meta, creator: undefined };
    if (typeof atMs !== 'number' || typeof eventId !== 'string') return undefined;
    return { meta, creator: { atMs, eventId } };
  } catch {
    return undefined;
  }
}

/**
 * Blog ids and tags numbered as the meta cache meets them, with one stamp and slot per number,
 * so a read dedupes the blogs and tags of a thousand posts by comparing integers in two flat
 * arrays, not by hashing strings or chasing an object per tag.
 */
export class JoinNumbers {
  readonly ids: string[] = [];
  /**
   * Per number: the read that last gave it a slot, and that slot (valid only under the stamp).
   * Stamps count reads from 1 in float64: they never wrap, and 0 is no read.
   */
  stamps = new Float64Array(1_024);
  slots = new Int32Array(1_024);
  /** Per number: a Redis key the store derived from the id once (see `keyOf`). */
  private readonly keys: (string | undefined)[] = [];
  private readonly numbers = new Map<string, number>();
  /** Per number: the near cache's entry for its key, found without hashing the key. */
  readonly entries: (NearCacheEntry | undefined)[] = [];

  get size(): number {
    return this.ids.length;
  }

  /** The key `make` derives from the id of `number`, made once: no string built per read. */
  keyOf(number: number, make: (id: string) => string): string {
    return (this.keys[number] ??= make(this.ids[number]!));
  }

  numberOf(id: string): number {
    let number = this.numbers.get(id);
    if (number === undefined) {
      number = this.ids.length;
      this.numbers.set(id, number);
      this.ids.push(id);
      if (number >= this.stamps.length) {
        const stamps = new Float64Array(2 * this.stamps.length);
        stamps.set(this.stamps);
        this.stamps = stamps;
        const slots = new Int32Array(2 * this.slots.length);
        slots.set(this.slots);
        this.slots = slots;
      }
    }
    return number;
  }
}

/**
 * One filling of the meta cache. Each post's join is a few integers in one flat array (its
 * meta's index, its blog's number, its tag count, its tags' numbers), so placing a thousand
 * random posts touches a thousand spots of one array, not an object graph per post.
 */
export class MetaGeneration {
  readonly blogs = new JoinNumbers();
  readonly tags = new JoinNumbers();
  /** Per entry, from its offset: meta index, blog number, tag count, tag numbers. */
  pool = new Int32Array(4_096);
  private used = 0;
  private readonly metas: PostMeta[] = [];
  private readonly keys: (string | undefined)[] = [];
  /**
   * Per entry (by meta index): what is held of the post's value (`HeldValue`), and its cells,
   * `LAYOUTS.post.cellCount` each in one slab; reset by the near-cache entry's death. A warm
   * read of a thousand posts then reads two flat arrays, not three objects a post.
   */
  private held = new Uint8Array(0);
  private cells = new Float64Array(0);
  private readonly offsets = new Map<string, number>();

  get size(): number {
    return this.metas.length;
  }

  get numbered(): number {
    return this.blogs.size + this.tags.size;
  }

  /** The entry's offset in `pool`, or -1. */
  offsetOf(postId: string): number {
    return this.offsets.get(postId) ?? -1;
  }

  metaAt(offset: number): PostMeta {
    return this.metas[this.pool[offset]!]!;
  }

  /** The post's Redis key, derived by `make` once: no string built per read. */
  keyAt(offset: number, postId: string, make: (postId: string) => string): string {
    return (this.keys[this.pool[offset]!] ??= make(postId));
  }

  heldAt(offset: number): HeldValue {
    const index = this.pool[offset]!;
    return index < this.held.length ? (this.held[index]! as HeldValue) : HeldValue.None;
  }

  /**
   * Holds the post's value as `entry` has it (`cells` decoded from it, null: none) until the
   * entry dies. A dead entry is not held.
   */
  hold(offset: number, entry: NearCacheEntry, cells: Float64Array | null): void {
    if (!entry.live) return;
    const index = this.pool[offset]!;
    const count = LAYOUTS.post.cellCount;
    if (index >= this.held.length) {
      const size = Math.max(1_024, 2 * this.held.length, index + 1);
      const held = new Uint8Array(size);
      held.set(this.held);
      this.held = held;
      const grown = new Float64Array(size * count);
      grown.set(this.cells);
      this.cells = grown;
    }
    if (entry.value === null) this.held[index] = HeldValue.Missing;
    else if (cells === null) this.held[index] = HeldValue.NoCells;
    else {
      this.cells.set(cells, index * count);
      this.held[index] = HeldValue.Cells;
    }
    // One generation holds an entry at a time: a newer one taking it over leaves this one,
    // which no read starts from any more, as it was.
    entry.onDeath = () => {
      this.held[index] = HeldValue.None;
    };
  }

  /** Copies the held cells of the post at `offset` (held as `HeldValue.Cells`) to `into[at...]`. */
  copyCellsAt(offset: number, into: Float64Array, at: number): void {
    const count = LAYOUTS.post.cellCount;
    const from = this.cells;
    const base = this.pool[offset]! * count;
    for (let k = 0; k < count; k++) into[at + k] = from[base + k]!;
  }

  /** Drops the post's entry (its meta was replaced): `add` makes a new one. */
  forget(postId: string): void {
    this.offsets.delete(postId);
  }

  add(postId: string, meta: PostMeta): number {
    const known = this.offsets.get(postId);
    if (known !== undefined) return known;
    const needed = 3 + meta.tags.length;
    if (this.used + needed > this.pool.length) {
      const pool = new Int32Array(Math.max(2 * this.pool.length, this.used + needed));
      pool.set(this.pool.subarray(0, this.used));
      this.pool = pool;
    }
    const offset = this.used;
    this.pool[offset] = this.metas.length;
    this.pool[offset + 1] = this.blogs.numberOf(meta.blogId);
    this.pool[offset + 2] = meta.tags.length;
    meta.tags.forEach((tag, t) => (this.pool[offset + 3 + t] = this.tags.numberOf(tag)));
    this.used += needed;
    this.metas.push(meta);
    this.offsets.set(postId, offset);
    return offset;
  }
}

/**
 * Post metas this process has read or written. A meta changes only when an earlier
 * PostCreated of the post arrives after a later one created it (see `Creation`): rare, and
 * the store then replaces it here, or, written by another process, learns of it through the
 * store's replacement count and starts afresh (`clear`). So the store reads a post's blog and
 * tags in the same round trip as the post itself, and a batch of engagements needs no read
 * for the posts it has seen. Bounded: when it holds `capacity` posts, or its numbered blogs and
 * tags outgrow that (tags come and go), it starts a new generation and relearns; reads in
 * flight keep the generation they started with.
 */
export class PostMetaCache {
  private generation = new MetaGeneration();

  constructor(readonly capacity: number) {}

  /** The generation offsets currently refer to: read it before `offsetOf`, after `add`. */
  get current(): MetaGeneration {
    return this.generation;
  }

  get size(): number {
    return this.generation.size;
  }

  get(postId: string): PostMeta | undefined {
    const offset = this.generation.offsetOf(postId);
    return offset < 0 ? undefined : this.generation.metaAt(offset);
  }

  /** Caches `meta` in place of the one the post has, if any; returns its offset in `current`. */
  replace(postId: string, meta: PostMeta): number {
    this.generation.forget(postId);
    return this.set(postId, meta);
  }

  /** Forgets every meta: some may have been replaced by another process. */
  clear(): void {
    if (this.generation.size > 0) this.generation = new MetaGeneration();
  }

  /** Caches the meta (unless the post has one) and returns its offset in `current`. */
  set(postId: string, meta: PostMeta): number {
    if (this.capacity <= 0) return -1;
    const generation = this.generation;
    if (generation.offsetOf(postId) < 0) {
      if (generation.size >= this.capacity || generation.numbered > 4 * this.capacity) {
        this.generation = new MetaGeneration();
      }
    }
    return this.generation.add(postId, meta);
  }
}
