import { commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { SOURCE_NAMES } from '../candidate-source.js';
import { DEFAULT_SOURCE_BUDGETS } from '../source-budgets.js';

/**
 * `session=1.5,tags=0.1` as weights by source. Every name must be a source's and every weight
 * a number ≥ 0; at 0 a source's posts count for nothing and only fill places after the rest.
 */
export function parseSourceWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [name = '', value, ...rest] = pair.split('=').map((part) => part.trim());
    if (value === undefined || value === '' || rest.length > 0) {
      throw new InvalidArgumentError('weights', `expected source=weight, not "${pair}"`);
    }
    weights[name] = Number(value);
  }
  unionWeights(weights);
  return weights;
}

/**
 * The fusion weight of every source in the evaluation's union: the SURFACE_FOR_YOU defaults,
 * overridden by `overrides`. A name that is not a source's, or a weight that is not a number
 * ≥ 0, is refused under `weights.<name>`.
 */
export function unionWeights(overrides: Readonly<Record<string, number>>): Record<string, number> {
  const defaults = DEFAULT_SOURCE_BUDGETS[commonv1.Surface.SURFACE_FOR_YOU] ?? {};
  for (const [name, weight] of Object.entries(overrides)) {
    if (!(SOURCE_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `weights.${name}`,
        `not a source; the sources are ${SOURCE_NAMES.join(', ')}`,
      );
    }
    if (!Number.isFinite(weight) || weight < 0) {
      throw new InvalidArgumentError(`weights.${name}`, `must be a number ≥ 0, not ${weight}`);
    }
  }
  return Object.fromEntries(
    SOURCE_NAMES.map((name) => [name, overrides[name] ?? defaults[name]?.weight ?? 1]),
  );
}
