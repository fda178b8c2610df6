import type { EntityKind, FeatureDeclaration } from './feature-registry.js';
import type { MissingMask } from './missing-mask.js';
import { LAYOUTS, type StateLayout } from './state-layout.js';

/** The stored state a row of features is computed from; undefined where the entity is unknown. */
export interface EntityStates {
  readonly user?: Float64Array | undefined;
  readonly post?: Float64Array | undefined;
  /** The post's blog. */
  readonly blog?: Float64Array | undefined;
  /** The user and the post's blog. */
  readonly user_blog?: Float64Array | undefined;
  /** Whether the user follows the post's blog; undefined without a known user or blog. */
  readonly following?: boolean | undefined;
  /**
   * The user's state for each distinct tag of the post (undefined for a tag they never touched);
   * undefined itself when the user or the post's tags are unknown.
   */
  readonly user_tag?: readonly (Float64Array | undefined)[] | undefined;
}

/** A feature's value at request time, or undefined to serve its default as missing. */
type Evaluate = (states: EntityStates, nowMs: number) => number | undefined;

/** Computes features, in a given order, from stored states at the request's time. */
export class FeatureColumns {
  readonly names: readonly string[];
  private readonly evaluators: readonly Evaluate[];
  private readonly defaults: readonly number[];

  constructor(features: readonly FeatureDeclaration[]) {
    this.names = features.map((feature) => feature.name);
    this.evaluators = features.map(evaluatorOf);
    this.defaults = features.map((feature) => feature.default);
  }

  get size(): number {
    return this.names.length;
  }

  /** Writes one row at `values[offset...]`, marking each default it serves in `missing`. */
  fill(
    states: EntityStates,
    nowMs: number,
    values: number[],
    offset: number,
    missing: MissingMask,
  ): void {
    for (let i = 0; i < this.evaluators.length; i++) {
      const value = this.evaluators[i]!(states, nowMs);
      if (value === undefined || !Number.isFinite(value)) {
        values[offset + i] = this.defaults[i]!;
        missing.set(offset + i);
      } else {
        values[offset + i] = value;
      }
    }
  }
}

/** The layout with its signal and attribute names widened, for code generic over entities. */
function layoutOf(entity: EntityKind): StateLayout<EntityKind> {
  return LAYOUTS[entity] as StateLayout<EntityKind>;
}

export function evaluatorOf(feature: FeatureDeclaration): Evaluate {
  const { entity, aggregation } = feature;
  const layout = layoutOf(entity);
  if (entity === 'user_tag') {
    if (aggregation.kind !== 'decayed_count') {
      throw new Error(`${feature.name}: user_tag features are decayed counts`);
    }
    const affinity = layout.counterReader(aggregation.signal, aggregation.halfLifeMs);
    const reduce = aggregation.reduce;
    return (states, nowMs) => {
      const tags = states.user_tag;
      if (tags === undefined) return undefined;
      if (tags.length === 0) return 0;
      if (tags.every((cells) => cells === undefined)) return undefined;
      // A tag the user never touched is an affinity of 0, not an unknown.
      const values = tags.map((cells) => (cells === undefined ? 0 : affinity(cells, nowMs)));
      return reduce === 'max' ? Math.max(...values) : values.reduce((sum, v) => sum + v, 0);
    };
  }
  const known = (states: EntityStates): Float64Array | undefined => states[entity];
  switch (aggregation.kind) {
    case 'decayed_count': {
      const count = layout.counterReader(aggregation.signal, aggregation.halfLifeMs);
      return (states, nowMs) => {
        const cells = known(states);
        return cells && count(cells, nowMs);
      };
    }
    case 'decayed_rate': {
      const { numerator, denominator, halfLifeMs, prior } = aggregation;
      const hits = layout.counterReader(numerator, halfLifeMs);
      const trials = layout.counterReader(denominator, halfLifeMs);
      return (states, nowMs) => {
        const cells = known(states);
        if (cells === undefined) return undefined;
        return (
          (hits(cells, nowMs) + prior.rate * prior.weight) / (trials(cells, nowMs) + prior.weight)
        );
      };
    }
    case 'attribute': {
      const read = layout.attributeReader(aggregation.attribute);
      return (states) => {
        const cells = known(states);
        return cells && nanToUndefined(read(cells));
      };
    }
    case 'elapsed': {
      const { unitMs, max = Number.POSITIVE_INFINITY } = aggregation;
      const since = layout.attributeReader(aggregation.since);
      return (states, nowMs) => {
        const cells = known(states);
        const moment = cells && nanToUndefined(since(cells));
        if (moment === undefined) return undefined;
        return Math.min(max, Math.max(0, nowMs - moment) / unitMs);
      };
    }
    case 'within': {
      const { windowMs } = aggregation;
      const since = layout.attributeReader(aggregation.since);
      return (states, nowMs) => {
        const cells = known(states);
        const moment = cells && nanToUndefined(since(cells));
        if (moment === undefined) return undefined;
        return nowMs - moment < windowMs ? 1 : 0;
      };
    }
    case 'relation':
      return (states) => (states.following === undefined ? undefined : Number(states.following));
  }
}

function nanToUndefined(value: number): number | undefined {
  return Number.isNaN(value) ? undefined : value;
}
