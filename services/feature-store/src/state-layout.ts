import { createHash } from 'node:crypto';
import { decayedAt, type CellOp, type CellOpCode } from './cell-ops.js';
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

/** What one event changes in one entity's state, in the registry's terms. */
export interface EntityChange<E extends EntityKind> {
  readonly counters?: readonly { readonly signal: SignalOf<E>; readonly weight: number }[];
  readonly attributes?: readonly { readonly attribute: AttributeOf<E>; readonly value: number }[];
}

interface CounterCell {
  readonly signal: string;
  readonly halfLifeMs: number;
  /** The value; the time of its last fold is at `cell + 1`. */
  readonly cell: number;
}

interface AttributeCell extends AttributeDeclaration {
  readonly cell: number;
}

const MERGE_CODE: Record<Merge, CellOpCode> = { max: 'x', min: 'n', add: '+', set: 's' };

/**
 * How one entity kind's state is packed: cell 0 holds the layout's fingerprint, then a
 * (value, time) pair per decayed counter the registry reads, then one cell per attribute.
 * Stored as little-endian float64s: one GET (or one MGET for a batch) reads a whole entity.
 */
export class StateLayout<E extends EntityKind> {
  readonly cellCount: number;
  /** Changes whenever the cells change; a stored value with another one is ignored. */
  readonly fingerprint: number;
  readonly ttlMs: number;
  private readonly counters: readonly CounterCell[];
  private readonly attributeCells: ReadonlyMap<string, AttributeCell>;
  private readonly initial: Float64Array;
  /** The empty state, packed: the Lua scripts start from it. */
  readonly templateBytes: Buffer;

  constructor(
    readonly entity: E,
    counters: readonly CounterSpec<E>[],
  ) {
    const declaration = ENTITIES[entity];
    this.ttlMs = declaration.ttlMs;
    let next = 1;
    const unique = new Map<string, CounterCell>();
    for (const { signal, halfLifeMs } of counters) {
      const id = `${signal}@${halfLifeMs}`;
      if (unique.has(id)) continue;
      unique.set(id, { signal, halfLifeMs, cell: next });
      next += 2;
    }
    this.counters = [...unique.values()];
    const attributes = new Map<string, AttributeCell>();
    for (const [name, attribute] of Object.entries<AttributeDeclaration>(declaration.attributes)) {
      attributes.set(name, { ...attribute, cell: next });
      next += 1;
    }
    this.attributeCells = attributes;
    this.cellCount = next;
    this.fingerprint = fingerprintOf(entity, this.counters, [...attributes.entries()]);
    this.initial = new Float64Array(this.cellCount);
    this.initial[0] = this.fingerprint;
    for (const attribute of attributes.values()) this.initial[attribute.cell] = attribute.initial;
    this.templateBytes = this.encode(this.initial);
  }

  empty(): Float64Array {
    return this.initial.slice();
  }

  /** The cell operations for a change; signals no feature reads compile to nothing. */
  compile(change: EntityChange<E>): CellOp[] {
    const ops: CellOp[] = [];
    for (const { signal, weight } of change.counters ?? []) {
      for (const counter of this.counters) {
        if (counter.signal === signal) {
          ops.push({ code: 'd', cell: counter.cell, a: counter.halfLifeMs, b: weight });
        }
      }
    }
    for (const { attribute, value } of change.attributes ?? []) {
      const cell = this.attributeCell(attribute);
      ops.push({ code: MERGE_CODE[cell.merge], cell: cell.cell, a: value, b: 0 });
    }
    return ops;
  }

  /** A counter's value decayed to `nowMs`. */
  counter(cells: Float64Array, signal: SignalOf<E>, halfLifeMs: number, nowMs: number): number {
    return this.counterReader(signal, halfLifeMs)(cells, nowMs);
  }

  /** Reads one counter, its cell resolved once: for the hot path, row after row. */
  counterReader(
    signal: SignalOf<E>,
    halfLifeMs: number,
  ): (cells: Float64Array, nowMs: number) => number {
    const counter = this.counters.find((c) => c.signal === signal && c.halfLifeMs === halfLifeMs);
    if (counter === undefined) {
      throw new Error(`${this.entity} keeps no counter ${signal} at half-life ${halfLifeMs} ms`);
    }
    const { cell } = counter;
    return (cells, nowMs) => decayedAt(cells[cell] ?? 0, cells[cell + 1] ?? 0, halfLifeMs, nowMs);
  }

  /** NaN while unset. */
  attribute(cells: Float64Array, attribute: AttributeOf<E>): number {
    return cells[this.attributeCell(attribute).cell] ?? Number.NaN;
  }

  /** Reads one attribute (NaN while unset), its cell resolved once. */
  attributeReader(attribute: AttributeOf<E>): (cells: Float64Array) => number {
    const { cell } = this.attributeCell(attribute);
    return (cells) => cells[cell] ?? Number.NaN;
  }

  /** The cell holding an attribute: the relation script adjusts a count there in place. */
  attributeCellIndex(attribute: AttributeOf<E>): number {
    return this.attributeCell(attribute).cell;
  }

  encode(cells: Float64Array): Buffer {
    const bytes = Buffer.allocUnsafe(cells.length * 8);
    cells.forEach((value, i) => bytes.writeDoubleLE(value, i * 8));
    return bytes;
  }

  /** Undefined for bytes of another layout (written before the registry changed). */
  decode(bytes: Buffer | null | undefined): Float64Array | undefined {
    if (!bytes || bytes.length !== this.cellCount * 8) return undefined;
    if (bytes.readDoubleLE(0) !== this.fingerprint) return undefined;
    const cells = new Float64Array(this.cellCount);
    for (let i = 0; i < this.cellCount; i++) cells[i] = bytes.readDoubleLE(i * 8);
    return cells;
  }

  private attributeCell(attribute: string): AttributeCell {
    const cell = this.attributeCells.get(attribute);
    if (cell === undefined) throw new Error(`${this.entity} has no attribute ${attribute}`);
    return cell;
  }
}

function fingerprintOf(
  entity: string,
  counters: readonly CounterCell[],
  attributes: readonly [string, AttributeCell][],
): number {
  const description = JSON.stringify({
    entity,
    counters: counters.map((c) => [c.signal, c.halfLifeMs, c.cell]),
    attributes: attributes.map(([name, a]) => [name, a.merge, String(a.initial), a.cell]),
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
