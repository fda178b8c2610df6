import { createHash } from 'node:crypto';
import {
  ENTITIES,
  FEATURES,
  type AttributeDeclaration,
  type EntityKind,
  type FeatureDeclaration,
} from './feature-registry.js';

/** The order of entities within a candidate row (GetFeaturesResponse.candidates). */
export const CANDIDATE_ENTITIES: readonly EntityKind[] = ['post', 'blog', 'user_blog', 'user_tag'];

/** The serving layout the registry defines: column order and its version. */
export interface FeatureSchema {
  /** Changes whenever a declaration changes; clients key cached layouts and training data on it. */
  readonly version: string;
  /** GetFeatures' `user` vector and GetUserFeatures' `features`. */
  readonly user: readonly FeatureDeclaration[];
  /** GetFeatures' candidate columns: post, blog, user x blog, user x tag features. */
  readonly candidate: readonly FeatureDeclaration[];
}

/** The problems of a set of declarations, one line each; empty when they are sound. */
export function registryProblems(
  features: readonly FeatureDeclaration[],
  entities: Record<EntityKind, { attributes: Record<string, AttributeDeclaration> }> = ENTITIES,
): string[] {
  const problems: string[] = [];
  for (const [entity, { attributes }] of Object.entries(entities)) {
    for (const [name, attribute] of Object.entries(attributes)) {
      // NaN plus a delta stays NaN: a summed attribute must start from a number.
      if (attribute.merge === 'add' && !Number.isFinite(attribute.initial)) {
        problems.push(`${entity}.${name}: an added attribute needs a finite initial value`);
      }
      const { floor } = attribute;
      if (floor === undefined) continue;
      if (attribute.merge !== 'add') {
        problems.push(`${entity}.${name}: only an added attribute can have a floor`);
      } else if (!Number.isFinite(floor)) {
        problems.push(`${entity}.${name}: floor must be a finite number`);
      } else if (attribute.initial < floor) {
        problems.push(`${entity}.${name}: initial value must not be below the floor`);
      }
    }
  }
  const names = new Set<string>();
  for (const feature of features) {
    const { name, entity, aggregation } = feature;
    const say = (problem: string) => problems.push(`${name}: ${problem}`);
    if (names.has(name)) say('declared twice');
    names.add(name);
    if (!new RegExp(`^${entity}\\.[a-z0-9_]+$`).test(name)) {
      say(`must be "${entity}." followed by [a-z0-9_]`);
    }
    if (!Number.isFinite(feature.default)) say('default must be a finite number');
    if (feature.description.trim() === '') say('needs a description');
    const halfLifeMs = 'halfLifeMs' in aggregation ? aggregation.halfLifeMs : undefined;
    if (halfLifeMs !== undefined && !(halfLifeMs > 0)) say('half-life must be positive');
    switch (aggregation.kind) {
      case 'decayed_count':
        if ((entity === 'user_tag') !== (aggregation.reduce !== undefined)) {
          say('reduce is required for user_tag features and only for them');
        }
        break;
      case 'decayed_rate': {
        const { rate, weight } = aggregation.prior;
        if (!(rate >= 0 && rate <= 1)) say('prior rate must be within [0, 1]');
        if (!(weight > 0)) say('prior weight must be positive');
        break;
      }
      case 'elapsed':
        if (!(aggregation.unitMs > 0)) say('unit must be positive');
        break;
      case 'within':
        if (!(aggregation.windowMs > 0)) say('window must be positive');
        break;
      case 'relation':
        if (entity !== 'user_blog') say('relation features belong to user_blog');
        break;
      case 'attribute':
        break;
    }
  }
  return problems;
}

export function schemaOf(features: readonly FeatureDeclaration[]): FeatureSchema {
  const problems = registryProblems(features);
  if (problems.length > 0) throw new Error(`feature registry: ${problems.join('; ')}`);
  const candidate = CANDIDATE_ENTITIES.flatMap((entity) =>
    features.filter((feature) => feature.entity === entity),
  );
  const user = features.filter((feature) => feature.entity === 'user');
  const digest = createHash('sha256')
    .update(JSON.stringify([...user, ...candidate]))
    .digest('hex');
  return { version: `fs-${digest.slice(0, 16)}`, user, candidate };
}

export const featureSchema: FeatureSchema = schemaOf(FEATURES);
