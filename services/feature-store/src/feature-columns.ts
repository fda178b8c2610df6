import type { EntityKind, FeatureDeclaration } from './feature-registry.js';
import { LAYOUTS, TIME_CELL, type StateLayout } from './state-layout.js';

/**
 * How a column is computed from its entity's cells (see `compile`). Plain numbers rather than
 * an enum: the switch in `fill` compares constants, not property loads.
 */
const Op = {
  /** cells[a] decayed at half-life h. */
  Decayed: 0,
  /** (cells[a] decayed at h + p) / (cells[b] decayed at h2 + q): a rate with its prior. */
  Rate: 1,
  /** cells[a] as stored (NaN while unset), at least p (its floor; -∞ for none). */
  Attribute: 2,
  /** min(q, max(0, now - cells[a]) / p): time since a stored moment. */
  Elapsed: 3,
  /** 1 while now - cells[a] < p, else 0. */
  Within: 4,
  /** Not computed from the entity's own cells (relations): always unknown here. */
  Unknown: 5,
} as const;
type Op = (typeof Op)[keyof typeof Op];

/**
 * Computes the features of one entity kind, in the given order, from that entity's cells.
 * Each feature is compiled once into a small instruction (what to read, which decay, which
 * parameters); a row is then a loop over plain numbers with one power per distinct half-life,
 * and no allocation.
 */
export class EntityColumns<E extends EntityKind> {
  readonly names: readonly string[];
  readonly defaults: Float64Array;
  private readonly ops: Uint8Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly h: Int32Array;
  private readonly h2: Int32Array;
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly factors: Float64Array;
  /** -ln 2 / half-life, per distinct half-life: a decay is one exp, cheaper than a power. */
  private readonly rates: Float64Array;

  constructor(
    readonly layout: StateLayout<E>,
    features: readonly FeatureDeclaration[],
  ) {
    const n = features.length;
    this.names = features.map((f) => f.name);
    this.defaults = Float64Array.from(features, (f) => f.default);
    this.ops = new Uint8Array(n);
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.h = new Int32Array(n);
    this.h2 = new Int32Array(n);
    this.p = new Float64Array(n);
    this.q = new Float64Array(n);
    features.forEach((feature, i) => this.compile(i, feature, layout as StateLayout<EntityKind>));
    this.factors = new Float64Array(layout.halfLives.length);
    this.rates = Float64Array.from(layout.halfLives, (halfLifeMs) => -Math.LN2 / halfLifeMs);
  }

  get size(): number {
    return this.names.length;
  }

  /**
   * Writes the entity's values at `out[offset...]`: defaults flagged in `missing` (from bit
   * `offset`) for an unknown entity (`cells` undefined) or an unknown value. The entity's
   * cells start at `cells[base]`.
   */
  fill(
    cells: Float64Array | undefined,
    base: number,
    nowMs: number,
    out: Float32Array,
    offset: number,
    missing: Uint8Array,
  ): void {
    const ops = this.ops;
    const a = this.a;
    const h = this.h;
    const p = this.p;
    const q = this.q;
    const factors = this.factors;
    const defaults = this.defaults;
    const count = ops.length;
    if (cells === undefined) {
      for (let i = 0; i < count; i++) {
        out[offset + i] = defaults[i]!;
        setBit(missing, offset + i);
      }
      return;
    }
    const elapsed = Math.max(0, nowMs - cells[base + TIME_CELL]!);
    const rates = this.rates;
    for (let i = 0; i < rates.length; i++) factors[i] = Math.exp(elapsed * rates[i]!);
    for (let i = 0; i < count; i++) {
      let value: number;
      switch (ops[i]) {
        case 0: // Op.Decayed
          value = cells[base + a[i]!]! * factors[h[i]!]!;
          break;
        case 1: // Op.Rate
          value =
            (cells[base + a[i]!]! * factors[h[i]!]! + p[i]!) /
            (cells[base + this.b[i]!]! * factors[this.h2[i]!]! + q[i]!);
          break;
        case 2: // Op.Attribute
          // A value stored below its floor (before the attribute had one) serves at it.
          value = Math.max(p[i]!, cells[base + a[i]!]!);
          break;
        case 3: // Op.Elapsed
          // NaN (never set) stays NaN through the arithmetic: unknown.
          value = Math.min(q[i]!, Math.max(0, nowMs - cells[base + a[i]!]!) / p[i]!);
          break;
        case 4: {
          // Op.Within
          const moment = cells[base + a[i]!]!;
          value = moment !== moment ? Number.NaN : nowMs - moment < p[i]! ? 1 : 0;
          break;
        }
        default:
          value = Number.NaN;
      }
      if (value - value === 0) {
        out[offset + i] = value;
      } else {
        // NaN or infinite: served as the default, flagged.
        out[offset + i] = defaults[i]!;
        setBit(missing, offset + i);
      }
    }
  }

  private compile(i: number, feature: FeatureDeclaration, layout: StateLayout<EntityKind>): void {
    const { aggregation } = feature;
    const counter = (signal: string, halfLifeMs: number) => {
      const found = layout.counters.find((c) => c.signal === signal && c.halfLifeMs === halfLifeMs);
      if (found === undefined)
        throw new Error(`${feature.name}: no counter ${signal}@${halfLifeMs}`);
      return found;
    };
    switch (aggregation.kind) {
      case 'decayed_count': {
        const { cell, halfLife } = counter(aggregation.signal, aggregation.halfLifeMs);
        this.set(i, Op.Decayed, cell, 0, halfLife, 0, 0, 0);
        return;
      }
      case 'decayed_rate': {
        const hits = counter(aggregation.numerator, aggregation.halfLifeMs);
        const trials = counter(aggregation.denominator, aggregation.halfLifeMs);
        const { rate, weight } = aggregation.prior;
        this.set(
          i,
          Op.Rate,
          hits.cell,
          trials.cell,
          hits.halfLife,
          trials.halfLife,
          rate * weight,
          weight,
        );
        return;
      }
      case 'attribute': {
        const { cell, floor = Number.NEGATIVE_INFINITY } = layout.attribute(aggregation.attribute);
        this.set(i, Op.Attribute, cell, 0, 0, 0, floor, 0);
        return;
      }
      case 'elapsed': {
        const { cell } = layout.attribute(aggregation.since);
        const max = aggregation.max ?? Number.POSITIVE_INFINITY;
        this.set(i, Op.Elapsed, cell, 0, 0, 0, aggregation.unitMs, max);
        return;
      }
      case 'within':
        this.set(
          i,
          Op.Within,
          layout.attribute(aggregation.since).cell,
          0,
          0,
          0,
          aggregation.windowMs,
          0,
        );
        return;
      case 'relation':
        this.set(i, Op.Unknown, 0, 0, 0, 0, 0, 0);
        return;
    }
  }

  private set(
    i: number,
    op: Op,
    a: number,
    b: number,
    h: number,
    h2: number,
    p: number,
    q: number,
  ): void {
    this.ops[i] = op;
    this.a[i] = a;
    this.b[i] = b;
    this.h[i] = h;
    this.h2[i] = h2;
    this.p[i] = p;
    this.q[i] = q;
  }
}

export function setBit(bits: Uint8Array, index: number): void {
  bits[index >> 3]! |= 1 << (index & 7);
}

export function hasBit(bits: Uint8Array, index: number): boolean {
  return ((bits[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/** The columns of the user features: GetFeatures' `user` and GetUserFeatures' `features`. */
export function userColumns(features: readonly FeatureDeclaration[]): EntityColumns<'user'> {
  return new EntityColumns(LAYOUTS.user, features);
}
