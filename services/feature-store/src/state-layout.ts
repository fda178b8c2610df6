import { createHash } from 'node:crypto';
import {
  ENTITIES,
  FEATURES,
  INTERESTS,
  type AttributeDeclaration,
  type AttributeOf,
  type EntityKind,
  type Merge,
  type SignalOf,
} from './feature-registry.js';

/** Cell 0 holds the layout's fingerprint. */
export const FINGERPRINT_CELL = 0;
/** Cell 1 holds the time every decayed counter of the entity is expressed at (0: none yet). */
export const TIME_CELL = 1;
/** The decayed counters start here, one cell each; the attributes follow them. */
export const FIRST_COUNTER_CELL = 2;

export interface CounterCell {
  readonly signal: string;
  readonly halfLifeMs: number;
  readonly cell: number;
  /** Index into `StateLayout.halfLives`. */
  readonly halfLife: number;
}

export interface AttributeCell extends AttributeDeclaration {
  readonly name: string;
  readonly cell: number;
  /** Index among the layout's attributes. */
  readonly index: number;
}

/**
 * How one entity kind's state is packed, as little-endian float64 cells: the layout's
 * fingerprint, the time T its counters are held at, one cell per decayed counter the registry
 * reads (its value at T), then one cell per attribute.
 *
 * Every counter of an entity shares T, the time of the latest event folded in: an event
 * newer than T decays every counter forward to it; an older one adds its weight already
 * decayed to T. The sum is the same in any delivery order (Σ wᵢ·2^(-(T - tᵢ)/h)), a read
 * decays a whole entity with one power per distinct half-life, and the state is a third
 * smaller than a (value, time) pair per counter. One GET (or one MGET for a batch) reads a
 * whole entity.
 */
export class StateLayout<E extends EntityKind> {
  readonly cellCount: number;
  /** Changes whenever the cells change; a stored value with another one is ignored. */
  readonly fingerprint: number;
  readonly ttlMs: number;
  readonly counters: readonly CounterCell[];
  /** The distinct half-lives of the counters, ms. */
  readonly halfLives: readonly number[];
  readonly attributes: readonly AttributeCell[];
  /** How many of the attributes have a floor. */
  readonly flooredAttributes: number;
  private readonly attributeCells: ReadonlyMap<string, AttributeCell>;
  private readonly signalCounters: ReadonlyMap<string, readonly number[]>;
  private readonly initial: Float64Array;
  /** The empty state, packed: the Lua scripts start from it. */
  readonly templateBytes: Buffer;
  /**
   * What the Lua scripts need to know of the layout besides the template, packed as float64:
   * cell count, counter count, then each counter's half-life in ms.
   */
  readonly descriptorBytes: Buffer;

  constructor(
    readonly entity: E,
    counters: readonly CounterSpec<E>[],
  ) {
    const declaration = ENTITIES[entity];
    this.ttlMs = declaration.ttlMs;
    const unique = new Map<string, { signal: string; halfLifeMs: number }>();
    for (const { signal, halfLifeMs } of counters)
      unique.set(`${signal}@${halfLifeMs}`, { signal, halfLifeMs });
    const halfLives = [...new Set([...unique.values()].map((c) => c.halfLifeMs))];
    this.halfLives = halfLives;
    this.counters = [...unique.values()].map(({ signal, halfLifeMs }, i) => ({
      signal,
      halfLifeMs,
      cell: FIRST_COUNTER_CELL + i,
      halfLife: halfLives.indexOf(halfLifeMs),
    }));
    const bySignal = new Map<string, number[]>();
    this.counters.forEach((counter, i) => {
      const list = bySignal.get(counter.signal) ?? [];
      list.push(i);
      bySignal.set(counter.signal, list);
    });
    this.signalCounters = bySignal;
    let next = FIRST_COUNTER_CELL + this.counters.length;
    this.attributes = Object.entries<AttributeDeclaration>(declaration.attributes).map(
      ([name, attribute], index) => ({ ...attribute, name, cell: next++, index }),
    );
    this.attributeCells = new Map(this.attributes.map((a) => [a.name, a]));
    this.flooredAttributes = this.attributes.filter((a) => a.floor !== undefined).length;
    this.cellCount = next;
    this.fingerprint = fingerprintOf(entity, this.counters, this.attributes);
    this.initial = new Float64Array(this.cellCount);
    this.initial[FINGERPRINT_CELL] = this.fingerprint;
    for (const attribute of this.attributes) this.initial[attribute.cell] = attribute.initial;
    this.templateBytes = encodeCells(this.initial);
    this.descriptorBytes = encodeCells(
      Float64Array.from([
        this.cellCount,
        this.counters.length,
        ...this.counters.map((c) => c.halfLifeMs),
      ]),
    );
  }

  empty(): Float64Array {
    return this.initial.slice();
  }

  /** The counters (indexes into `counters`) a signal raises; none when no feature reads it. */
  countersOf(signal: SignalOf<E>): readonly number[] {
    return this.signalCounters.get(signal) ?? [];
  }

  attribute(name: AttributeOf<E>): AttributeCell {
    const cell = this.attributeCells.get(name);
    if (cell === undefined) throw new Error(`${this.entity} has no attribute ${name}`);
    return cell;
  }

  counterIndex(signal: SignalOf<E>, halfLifeMs: number): number {
    const index = this.counters.findIndex(
      (c) => c.signal === signal && c.halfLifeMs === halfLifeMs,
    );
    if (index < 0) {
      throw new Error(`${this.entity} keeps no counter ${signal} at half-life ${halfLifeMs} ms`);
    }
    return index;
  }

  /** A counter's value decayed to `nowMs`; a clock behind the state's time does not grow it. */
  counter(cells: Float64Array, signal: SignalOf<E>, halfLifeMs: number, nowMs: number): number {
    const { cell } = this.counters[this.counterIndex(signal, halfLifeMs)]!;
    return decayedAt(cells[cell]!, cells[TIME_CELL]!, halfLifeMs, nowMs);
  }

  /** NaN while unset. */
  attributeValue(cells: Float64Array, name: AttributeOf<E>): number {
    return cells[this.attribute(name).cell] ?? Number.NaN;
  }

  /** Undefined for bytes of another layout (written before the registry changed). */
  decode(bytes: Uint8Array | null | undefined, offset = 0): Float64Array | undefined {
    if (!bytes || bytes.length - offset !== this.cellCount * 8) return undefined;
    const cells = new Float64Array(this.cellCount);
    new Uint8Array(cells.buffer).set(bytes.subarray(offset, offset + this.cellCount * 8));
    if (!isLittleEndian) swapEach8(new Uint8Array(cells.buffer));
    return cells[FINGERPRINT_CELL] === this.fingerprint ? cells : undefined;
  }
}

/** The counter's value at `nowMs`, from its value at `time`. */
export function decayedAt(value: number, time: number, halfLifeMs: number, nowMs: number): number {
  if (value === 0 || nowMs <= time) return value;
  return value * 2 ** (-(nowMs - time) / halfLifeMs);
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapEach8(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 8) bytes.subarray(i, i + 8).reverse();
}

/** Cells as little-endian float64 bytes: the stored form in Redis. */
export function encodeCells(cells: Float64Array): Buffer {
  const bytes = Buffer.allocUnsafe(cells.length * 8);
  for (let i = 0; i < cells.length; i++) bytes.writeDoubleLE(cells[i]!, i * 8);
  return bytes;
}

function fingerprintOf(
  entity: string,
  counters: readonly CounterCell[],
  attributes: readonly AttributeCell[],
): number {
  const description = JSON.stringify({
    version: 2,
    entity,
    counters: counters.map((c) => [c.signal, c.halfLifeMs, c.cell]),
    attributes: attributes.map((a) => [a.name, a.merge, String(a.initial), a.cell]),
  });
  // 32 bits: exact in a float64 cell, and Lua compares it as a number.
  return createHash('sha256').update(description).digest().readUInt32BE(0);
}

type CounterSpec<E extends EntityKind> = { signal: SignalOf<E>; halfLifeMs: number };

/** The counters the registry's features (and the interests ranking) read, per entity. */
function countersOf<E extends EntityKind>(entity: E): CounterSpec<E>[] {
  const counters: { signal: string; halfLifeMs: number }[] = [];
  for (const { entity: of, aggregation } of FEATURES) {
    if (of !== entity) continue;
    if (aggregation.kind === 'decayed_count') {
      counters.push({ signal: aggregation.signal, halfLifeMs: aggregation.halfLifeMs });
    } else if (aggregation.kind === 'decayed_rate') {
      const { numerator, denominator, halfLifeMs } = aggregation;
      counters.push({ signal: numerator, halfLifeMs }, { signal: denominator, halfLifeMs });
    }
  }
  if (entity === 'user_tag') counters.push(INTERESTS.tag);
  if (entity === 'user_blog') counters.push(INTERESTS.blog);
  // Each feature's signal belongs to its own entity: the registry's types hold it to that.
  return counters as CounterSpec<E>[];
}

export type Layouts = { readonly [E in EntityKind]: StateLayout<E> };

export const LAYOUTS: Layouts = {
  user: new StateLayout('user', countersOf('user')),
  post: new StateLayout('post', countersOf('post')),
  blog: new StateLayout('blog', countersOf('blog')),
  user_blog: new StateLayout('user_blog', countersOf('user_blog')),
  user_tag: new StateLayout('user_tag', countersOf('user_tag')),
};

/** The merge of each attribute as the Lua scripts number them. */
export const MERGE_CODES: Readonly<Record<Merge, number>> = { max: 1, min: 2, add: 3, set: 4 };

/**
 * An `add` with a floor (`AttributeDeclaration.floor`) as the Lua scripts number it: its
 * delta carries the floor and how far its own changes dipped besides the sum (see
 * `EntityDelta.encodeInto`).
 */
export const FLOORED_ADD_CODE = 5;
