import type { AttributeOf, EntityKind, SignalOf } from './feature-registry.js';
import {
  FIRST_COUNTER_CELL,
  FLOORED_ADD_CODE,
  MERGE_CODES,
  TIME_CELL,
  type StateLayout,
} from './state-layout.js';

/**
 * Everything a batch of events changes in one entity's state, folded together before it is
 * written: the counters' weights held at the delta's own time (the latest event's), and each
 * touched attribute merged by its rule. Writing the delta is exactly writing its events one by
 * one, since counters add up and every merge is associative, so a batch costs one write per
 * entity, however many of its events touch it. An added attribute with a floor keeps, besides
 * the sum of its changes, how far their running sum dipped below its start: `max(floor, x + d)`
 * one change at a time composes to `max(x + sum, floor + sum + dip)`, so it too folds exactly.
 *
 * The Redis store sends `encode()` to a Lua script; the in-memory store calls `applyDelta`.
 * Both fold the same way (the store contract suite holds them to it).
 */
export class EntityDelta<E extends EntityKind> {
  /** The time `counters` are held at: the latest event time folded in; 0 before any. */
  at = 0;
  private counterWeights: Float64Array | undefined;
  private attributeValues: Float64Array | undefined;
  /** By attribute with a floor: how far the running sum of its changes fell below 0 (≥ 0). */
  private attributeDips: Float64Array | undefined;
  private touchedAttributes: Uint8Array | undefined;
  private empty = true;

  constructor(readonly layout: StateLayout<E>) {}

  get isEmpty(): boolean {
    return this.empty;
  }

  /** One weight per counter of the layout, at `at` (allocated on first use: most deltas touch few). */
  get counters(): Float64Array {
    return (this.counterWeights ??= new Float64Array(this.layout.counters.length));
  }

  /** One value per attribute of the layout, meaningful where `touched` is set. */
  get attributes(): Float64Array {
    return (this.attributeValues ??= new Float64Array(this.layout.attributes.length));
  }

  get touched(): Uint8Array {
    return (this.touchedAttributes ??= new Uint8Array(this.layout.attributes.length));
  }

  /** One per attribute, meaningful for those with a floor: see `attributeDips`. */
  get dips(): Float64Array {
    return (this.attributeDips ??= new Float64Array(this.layout.attributes.length));
  }

  /** Whether the delta merges a value into the attribute. */
  touches(name: AttributeOf<E>): boolean {
    return this.touchedAttributes?.[this.layout.attribute(name).index] === 1;
  }

  /** Raises every counter of `signal` by `weight` at `atMs`. */
  addSignal(signal: SignalOf<E>, weight: number, atMs: number): this {
    const indexes = this.layout.countersOf(signal);
    if (indexes.length === 0 || weight === 0) return this;
    this.empty = false;
    const counters = this.counters;
    if (atMs > this.at) {
      if (this.at > 0) decayCounters(counters, 0, this.layout, atMs - this.at);
      this.at = atMs;
    }
    for (const index of indexes) {
      const { halfLifeMs } = this.layout.counters[index]!;
      counters[index]! +=
        atMs === this.at ? weight : weight * 2 ** (-(this.at - atMs) / halfLifeMs);
    }
    return this;
  }

  /** Merges a value into an attribute by the attribute's rule (max, min, add or set). */
  mergeAttribute(name: AttributeOf<E>, value: number): this {
    const { index, merge, floor } = this.layout.attribute(name);
    this.empty = false;
    const touched = this.touched;
    const attributes = this.attributes;
    if (!touched[index]) {
      touched[index] = 1;
      attributes[index] = value;
      if (floor !== undefined) this.dips[index] = Math.max(0, -value);
      return this;
    }
    attributes[index] = mergeValues(MERGE_CODES[merge], attributes[index]!, value);
    if (floor !== undefined) this.dips[index] = Math.max(this.dips[index]!, -attributes[index]!);
    return this;
  }

  /** Folds another delta of the same layout into this one. */
  add(other: EntityDelta<E>): this {
    if (other.isEmpty) return this;
    this.empty = false;
    if (other.at > 0 && other.counterWeights !== undefined) {
      const counters = this.counters;
      if (other.at > this.at) {
        if (this.at > 0) decayCounters(counters, 0, this.layout, other.at - this.at);
        this.at = other.at;
      }
      this.layout.counters.forEach(({ halfLifeMs }, i) => {
        const weight = other.counterWeights![i]!;
        if (weight !== 0) counters[i]! += weight * 2 ** (-(this.at - other.at) / halfLifeMs);
      });
    }
    if (other.touchedAttributes === undefined) return this;
    this.layout.attributes.forEach(({ index, merge, floor }) => {
      if (!other.touchedAttributes![index]) return;
      const value = other.attributeValues![index]!;
      const dip = floor === undefined ? 0 : other.attributeDips![index]!;
      if (!this.touched[index]) {
        this.touched[index] = 1;
        this.attributes[index] = value;
        if (floor !== undefined) this.dips[index] = dip;
      } else {
        // The other's running sum starts where this one's ends.
        if (floor !== undefined) {
          this.dips[index] = Math.max(this.dips[index]!, dip - this.attributes[index]!);
        }
        this.attributes[index] = mergeValues(MERGE_CODES[merge], this.attributes[index]!, value);
      }
    });
    return this;
  }

  /** The most bytes `encodeInto` writes. */
  get maxEncodedBytes(): number {
    const { counters, attributes, flooredAttributes } = this.layout;
    return 12 + 10 * counters.length + 11 * attributes.length + 16 * flooredAttributes;
  }

  /**
   * Packed little-endian for the Lua scripts: at (f64), the number of counters raised (u16),
   * (cell u16, weight f64) for each, the number of attributes touched (u16), (merge code u8,
   * cell u16, value f64) each, followed for an added attribute with a floor (its code
   * `FLOORED_ADD_CODE`) by its dip and floor (f64 each): what ingestion sends Redis per
   * entity, so kept small. Writes at `into[offset...]` and returns the bytes written.
   */
  encodeInto(into: Buffer, offset: number): number {
    let at = offset;
    into.writeDoubleLE(this.at, at);
    at += 8;
    const counters = this.counterWeights;
    const countAt = at;
    at += 2;
    let raised = 0;
    if (counters !== undefined) {
      for (let i = 0; i < counters.length; i++) {
        if (counters[i] === 0) continue;
        into.writeUInt16LE(FIRST_COUNTER_CELL + i, at);
        into.writeDoubleLE(counters[i]!, at + 2);
        at += 10;
        raised += 1;
      }
    }
    into.writeUInt16LE(raised, countAt);
    const touchedAt = at;
    at += 2;
    let touched = 0;
    if (this.touchedAttributes !== undefined) {
      for (const attribute of this.layout.attributes) {
        if (!this.touchedAttributes[attribute.index]) continue;
        const { floor } = attribute;
        into.writeUInt8(floor === undefined ? MERGE_CODES[attribute.merge] : FLOORED_ADD_CODE, at);
        into.writeUInt16LE(attribute.cell, at + 1);
        into.writeDoubleLE(this.attributeValues![attribute.index]!, at + 3);
        at += 11;
        if (floor !== undefined) {
          into.writeDoubleLE(this.attributeDips![attribute.index]!, at);
          into.writeDoubleLE(floor, at + 8);
          at += 16;
        }
        touched += 1;
      }
    }
    into.writeUInt16LE(touched, touchedAt);
    return at - offset;
  }

  encode(): Buffer {
    const bytes = Buffer.allocUnsafe(this.maxEncodedBytes);
    return bytes.subarray(0, this.encodeInto(bytes, 0));
  }
}

/** Applies a delta to stored cells in place: the in-memory twin of the Lua `apply_delta`. */
export function applyDelta<E extends EntityKind>(cells: Float64Array, delta: EntityDelta<E>): void {
  const { layout } = delta;
  if (delta.at > 0 && !delta.isEmpty) {
    const time = cells[TIME_CELL]!;
    if (delta.at >= time) {
      if (time > 0 && delta.at > time) {
        decayCounters(cells, FIRST_COUNTER_CELL, layout, delta.at - time);
      }
      cells[TIME_CELL] = delta.at;
      for (let i = 0; i < delta.counters.length; i++) {
        cells[FIRST_COUNTER_CELL + i]! += delta.counters[i]!;
      }
    } else {
      layout.counters.forEach(({ halfLifeMs }, i) => {
        const weight = delta.counters[i]!;
        if (weight !== 0)
          cells[FIRST_COUNTER_CELL + i]! += weight * 2 ** (-(time - delta.at) / halfLifeMs);
      });
    }
  }
  for (const attribute of layout.attributes) {
    if (!delta.touched[attribute.index]) continue;
    const value = delta.attributes[attribute.index]!;
    const { floor } = attribute;
    const stored = cells[attribute.cell]!;
    cells[attribute.cell] =
      floor === undefined
        ? mergeStored(MERGE_CODES[attribute.merge], stored, value)
        : Math.max(stored + value, floor + value + delta.dips[attribute.index]!);
  }
}

/**
 * Where an attribute with a floor ends from `start` after `changes`, one at a time, each
 * stopped at the floor: what a delta of those changes leaves (`applyDelta`). A start below
 * the floor (stored before the attribute had one) counts from the floor.
 */
export function addedAbove(start: number, changes: readonly number[], floor: number): number {
  let value = Math.max(floor, start);
  for (const change of changes) value = Math.max(floor, value + change);
  return value;
}

/** Merges two values of a delta (neither unset). */
function mergeValues(code: number, current: number, value: number): number {
  switch (code) {
    case MERGE_CODES.max:
      return Math.max(current, value);
    case MERGE_CODES.min:
      return Math.min(current, value);
    case MERGE_CODES.add:
      return current + value;
    default:
      return value;
  }
}

/** Merges a delta's value into a stored cell, which NaN marks unset. */
export function mergeStored(code: number, stored: number, value: number): number {
  switch (code) {
    case MERGE_CODES.max:
      return Number.isNaN(stored) || value > stored ? value : stored;
    case MERGE_CODES.min:
      return Number.isNaN(stored) || value < stored ? value : stored;
    case MERGE_CODES.add:
      return stored + value;
    default:
      return value;
  }
}

/** Decays `layout`'s counters stored from `values[first]` by `elapsedMs`: one power per half-life. */
function decayCounters<E extends EntityKind>(
  values: Float64Array,
  first: number,
  layout: StateLayout<E>,
  elapsedMs: number,
): void {
  const factors = layout.halfLives.map((halfLifeMs) => 2 ** (-elapsedMs / halfLifeMs));
  layout.counters.forEach(({ halfLife }, i) => {
    values[first + i]! *= factors[halfLife]!;
  });
}
