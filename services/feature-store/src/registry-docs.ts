import {
  DAY_MS,
  ENTITIES,
  FEATURES,
  HOUR_MS,
  type FeatureDeclaration,
} from './feature-registry.js';
import { featureSchema } from './feature-schema.js';

/**
 * The registry as a Markdown table, for the README: the docs come from the declarations, as
 * the serving order and the training columns do (a test keeps the README's copy current).
 */
export function featureTableMarkdown(features: readonly FeatureDeclaration[] = FEATURES): string {
  const order = new Map(
    [...featureSchema.user, ...featureSchema.candidate].map((f, i) => [f.name, i] as const),
  );
  const rows = [...features]
    .sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0))
    .map((f) =>
      [
        `\`${f.name}\``,
        f.type,
        aggregationOf(f),
        String(f.default),
        duration(ENTITIES[f.entity].ttlMs),
        f.description.replace(/\|/g, '\\|'),
      ].join(' | '),
    );
  return [
    '| feature | type | aggregation | default | kept | description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

function aggregationOf(feature: FeatureDeclaration): string {
  const { aggregation } = feature;
  switch (aggregation.kind) {
    case 'decayed_count':
      return `decayed count of \`${aggregation.signal}\`, half-life ${duration(aggregation.halfLifeMs)}${
        aggregation.reduce === undefined ? '' : `, ${aggregation.reduce} over the post's tags`
      }`;
    case 'decayed_rate': {
      const { numerator, denominator, halfLifeMs, prior } = aggregation;
      return `\`${numerator}\` / \`${denominator}\`, half-life ${duration(halfLifeMs)}, prior ${prior.rate} worth ${prior.weight}`;
    }
    case 'attribute':
      return `\`${aggregation.attribute}\``;
    case 'elapsed':
      return `time since \`${aggregation.since}\`, in ${duration(aggregation.unitMs)}${
        aggregation.max === undefined ? '' : `, at most ${aggregation.max}`
      }`;
    case 'within':
      return `1 within ${duration(aggregation.windowMs)} of \`${aggregation.since}\``;
    case 'relation':
      return `\`${aggregation.relation}\` relation`;
  }
}

function duration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return `${ms} ms`;
}
