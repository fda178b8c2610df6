import { InvalidArgumentError } from '@feedmesh/errors';
import { dot } from './dense.js';
import { TopK } from './top-k.js';

export interface VectorIndexOptions {
  /**
   * Inverted lists: `centroids` (lists × dim, from `trainIvf`) partition the vectors, and a
   * search scans only the `probe` lists whose centroids score highest. Without centroids,
   * or while the index holds at most `exactBelow` vectors, every vector is scanned.
   */
  readonly centroids?: Float32Array;
  /** Lists scanned per search. Default 32. */
  readonly probe?: number;
  /** Default 50,000: below it an exact scan is about as fast as probing. */
  readonly exactBelow?: number;
}

export interface Neighbour {
  readonly id: string;
  /** Inner product with the query. */
  readonly score: number;
}

/** One inverted list: its vectors stored together, so a scan reads memory in order. */
class InvertedList {
  vectors: Float32Array;
  /** The slot of each row; -1 for a row whose vector moved or was removed. */
  slots: Int32Array;
  size = 0;
  /** Rows of `size` whose slot is -1, to be given back by `VectorIndex.compact`. */
  dead = 0;

  constructor(private readonly dim: number) {
    this.vectors = new Float32Array(16 * dim);
    this.slots = new Int32Array(16);
  }

  append(slot: number, vector: ArrayLike<number>): number {
    if (this.size === this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2);
      slots.set(this.slots);
      this.slots = slots;
      const vectors = new Float32Array(slots.length * this.dim);
      vectors.set(this.vectors);
      this.vectors = vectors;
    }
    const row = this.size++;
    this.slots[row] = slot;
    this.write(row, vector);
    return row;
  }

  write(row: number, vector: ArrayLike<number>): void {
    for (let k = 0; k < this.dim; k++) this.vectors[row * this.dim + k] = vector[k]!;
  }
}

/**
 * Maximum-inner-product search over vectors that come and go: the trained posts, then new
 * posts folded in as they arrive, minus deleted ones. An inverted-file index (IVF, as FAISS's
 * IndexIVFFlat): each vector sits in the list of its best-scoring centroid, each list's
 * vectors contiguous (a scan of scattered rows was memory-bound: several times slower), and a
 * search scans the `probe` lists whose centroids score highest with the query. Approximate
 * when probing; exact when scanning everything. A removed or moved vector leaves a gap that
 * the next append to its full list closes, and a removed id's slot goes to the next new id, so
 * a long-running index holds about what is live, not everything it ever held.
 */
export class VectorIndex {
  private readonly slotIds: string[] = [];
  private readonly slotOf = new Map<string, number>();
  /** Slots of removed ids, for the next new ones: churn does not grow the slot arrays. */
  private readonly freeSlots: number[] = [];
  private listOf = new Int32Array(1024).fill(-1);
  private rowOf = new Int32Array(1024);
  private readonly lists: InvertedList[];
  private readonly centroids: Float32Array | undefined;
  private readonly probe: number;
  private readonly exactBelow: number;
  private live = 0;

  constructor(
    readonly dim: number,
    options: VectorIndexOptions = {},
  ) {
    this.centroids = options.centroids;
    const lists = this.centroids ? this.centroids.length / dim : 1;
    if (!Number.isInteger(lists) || lists < 1) {
      throw new RangeError('centroids must be lists × dim numbers');
    }
    this.lists = Array.from({ length: lists }, () => new InvertedList(dim));
    this.probe = Math.max(1, options.probe ?? 32);
    this.exactBelow = options.exactBelow ?? 50_000;
  }

  get size(): number {
    return this.live;
  }

  get listCount(): number {
    return this.centroids ? this.lists.length : 0;
  }

  /** Bytes of the vectors and their bookkeeping (not the id strings). */
  get bytes(): number {
    let bytes = this.listOf.byteLength + this.rowOf.byteLength;
    for (const list of this.lists) bytes += list.vectors.byteLength + list.slots.byteLength;
    return bytes;
  }

  has(id: string): boolean {
    const slot = this.slotOf.get(id);
    return slot !== undefined && this.listOf[slot] !== -1;
  }

  /** The stored vector (a view: do not keep it across writes). */
  get(id: string): Float32Array | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined || this.listOf[slot] === -1) return undefined;
    const list = this.lists[this.listOf[slot]!]!;
    const row = this.rowOf[slot]!;
    return list.vectors.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** Adds or replaces `id`'s vector; `list` when the trainer already assigned it. */
  upsert(id: string, vector: ArrayLike<number>, list?: number): void {
    checkDimension('vector', vector, this.dim);
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      slot = this.freeSlots.pop();
      if (slot === undefined) {
        slot = this.slotIds.length;
        this.slotIds.push(id);
        this.ensure(slot + 1);
      } else {
        this.slotIds[slot] = id;
      }
      this.slotOf.set(id, slot);
    }
    const target = this.centroids
      ? (list ?? nearestCentroid(this.centroids, this.lists.length, this.dim, vector, 0))
      : 0;
    const current = this.listOf[slot]!;
    if (current === target) {
      this.lists[target]!.write(this.rowOf[slot]!, vector);
      return;
    }
    if (current === -1) this.live++;
    else this.vacate(slot);
    this.listOf[slot] = target;
    const into = this.lists[target]!;
    // Full, with a quarter of its rows vacated: closing the gaps makes the room growing would.
    if (into.size === into.slots.length && into.dead * 4 >= into.size) this.compact(into);
    this.rowOf[slot] = into.append(slot, vector);
  }

  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    this.vacate(slot);
    this.listOf[slot] = -1;
    this.live--;
    this.slotOf.delete(id);
    this.slotIds[slot] = '';
    this.freeSlots.push(slot);
  }

  /** Marks the slot's row in its list as vacated (skipped by scans, reclaimed by `compact`). */
  private vacate(slot: number): void {
    const list = this.lists[this.listOf[slot]!]!;
    list.slots[this.rowOf[slot]!] = -1;
    list.dead++;
  }

  /** Moves the list's live rows together, over the vacated ones, keeping their order. */
  private compact(list: InvertedList): void {
    const d = this.dim;
    let to = 0;
    for (let row = 0; row < list.size; row++) {
      const slot = list.slots[row]!;
      if (slot < 0) continue;
      if (row !== to) {
        list.slots[to] = slot;
        list.vectors.copyWithin(to * d, row * d, (row + 1) * d);
        this.rowOf[slot] = to;
      }
      to++;
    }
    list.size = to;
    list.dead = 0;
  }

  /**
   * The `k` vectors with the largest inner product with `query`, best first, leaving out
   * ids for which `skip` is true.
   */
  search(query: ArrayLike<number>, k: number, skip?: (id: string) => boolean): Neighbour[] {
    checkDimension('query', query, this.dim);
    if (k <= 0 || this.live === 0) return [];
    const top = new TopK(k);
    const q = Float32Array.from(query);
    const scanned =
      !this.centroids || this.live <= this.exactBelow ? this.lists : this.probedLists(q);
    for (const list of scanned) this.scan(q, top, skip, list);
    return top.sorted().map(({ slot, score }) => ({ id: this.slotIds[slot]!, score }));
  }

  /** Offers every live row of the list to `top`: the hot loop, kept flat. */
  private scan(
    q: Float32Array,
    top: TopK,
    skip: ((id: string) => boolean) | undefined,
    list: InvertedList,
  ): void {
    const d = this.dim;
    const { vectors, slots, size } = list;
    for (let row = 0; row < size; row++) {
      const slot = slots[row]!;
      if (slot < 0) continue;
      const score = dot(q, 0, vectors, row * d, d);
      if (score <= top.threshold) continue;
      if (skip && skip(this.slotIds[slot]!)) continue;
      top.offer(score, slot);
    }
  }

  private probedLists(q: Float32Array): InvertedList[] {
    const top = new TopK(Math.min(this.probe, this.lists.length));
    const c = this.centroids!;
    for (let list = 0; list < this.lists.length; list++) {
      top.offer(dot(q, 0, c, list * this.dim, this.dim), list);
    }
    return top.sorted().map(({ slot }) => this.lists[slot]!);
  }

  private ensure(slots: number): void {
    if (slots <= this.listOf.length) return;
    let size = this.listOf.length;
    while (size < slots) size *= 2;
    const listOf = new Int32Array(size).fill(-1);
    listOf.set(this.listOf);
    this.listOf = listOf;
    const rowOf = new Int32Array(size);
    rowOf.set(this.rowOf);
    this.rowOf = rowOf;
  }
}

/** The centroid with the largest inner product with the vector at `offset` of `v`. */
export function nearestCentroid(
  centroids: Float32Array,
  lists: number,
  d: number,
  v: ArrayLike<number>,
  offset: number,
): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let list = 0; list < lists; list++) {
    let sum = 0;
    const base = list * d;
    for (let k = 0; k < d; k++) sum += centroids[base + k]! * v[offset + k]!;
    if (sum > bestScore) {
      bestScore = sum;
      best = list;
    }
  }
  return best;
}

/** A vector of another length would be read past its end (NaN scores) or cut short. */
function checkDimension(field: string, vector: ArrayLike<number>, dim: number): void {
  if (vector.length !== dim) {
    throw new InvalidArgumentError(field, `must hold ${dim} numbers, not ${vector.length}`);
  }
}
