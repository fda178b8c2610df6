import type { eventsv1 } from '@feedmesh/contracts';
import type { ExperimentConfig } from './experiment-config.js';
import { bucketRanges, chooseVariant, growthbookHash } from './growthbook-hash.js';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { EventSource, ExperimentAggregates, UserAggregate } from './user-aggregates.js';

/**
 * The log as if `experiment` had split the same users with another hash seed: every exposure
 * to it (an impression's or a sent notification's `experiments`) names the variant the user
 * would have drawn with `seed`, by the variants' weights; nothing else changes. Who was exposed,
 * and everything they did, stays as logged.
 *
 * Reports on many such splits of one log are an A/A check of the analysis (a re-randomization
 * test): the variants then differ by chance alone, so each metric's p-value should fall below
 * 0.05 in about 5% of the splits. More says the variance is underestimated for that metric on
 * this data; for a live experiment's own split, the share of re-splits whose difference is at
 * least as large as the real one is a permutation p-value that needs no normal approximation.
 */
export function rerandomizedExposures(
  source: EventSource,
  experiment: ExperimentConfig,
  seed: string,
): EventSource {
  const variantOf = variantDrawer(experiment, seed);
  const reassign = (event: eventsv1.Event): eventsv1.Event => {
    const payload = event.payload;
    if (payload?.$case !== 'impression' && payload?.$case !== 'notificationSent') return event;
    const { experiments, userId } = payload.value;
    if (!experiments.some((a) => a.experiment === experiment.key)) return event;
    const variant = variantOf(userId);
    const value = {
      ...payload.value,
      experiments: experiments.map((a) =>
        a.experiment === experiment.key ? { ...a, variant } : a,
      ),
    };
    return { ...event, payload: { ...payload, value } as typeof payload };
  };
  return async function* () {
    const events = typeof source === 'function' ? source() : source;
    for await (const event of events) yield reassign(event);
  };
}

/**
 * The same re-split as `rerandomizedExposures`, applied to aggregates already read from the
 * log: every analysed user is moved to the variant `seed` draws for them, with their activity
 * as it was. A report on it equals a report on the re-split log read again, without reading
 * the log again, so a thousand re-splits (a permutation test) take seconds. One difference:
 * users logged with two variants, left out of `aggregates`, stay out, where a re-split log
 * gives them one variant and counts them.
 */
export function rerandomizedAggregates(
  aggregates: ExperimentAggregates,
  experiment: ExperimentConfig,
  seed: string,
): ExperimentAggregates {
  if (aggregates.experiment !== experiment.key) {
    throw new InvalidArgumentError(
      'experiment',
      `the aggregates are of ${JSON.stringify(aggregates.experiment)}, not ${JSON.stringify(experiment.key)}`,
    );
  }
  const variantOf = variantDrawer(experiment, seed);
  const variants = new Map<string, UserAggregate[]>(
    experiment.variants.map((variant) => [variant.name, []]),
  );
  for (const users of aggregates.variants.values()) {
    for (const user of users) {
      const variant = variantOf(user.userId);
      variants.get(variant)!.push({ ...user, variant });
    }
  }
  return { ...aggregates, variants };
}

/** The variant `seed` draws for a user: the experiment's own split over the whole of [0, 1). */
function variantDrawer(experiment: ExperimentConfig, seed: string): (userId: string) => string {
  // Over all of [0, 1), so every exposed user stays exposed: the weights are scaled to add up
  // to 1, since the config accepts a sum within 0.001 of it, which would leave a gap at the top.
  const total = experiment.variants.reduce((sum, variant) => sum + variant.weight, 0);
  const ranges = bucketRanges(
    experiment.variants.length,
    1,
    experiment.variants.map((variant) => variant.weight / total),
  );
  return (userId) =>
    experiment.variants[
      chooseVariant(growthbookHash(seed, userId, experiment.hashVersion), ranges)
    ]!.name;
}
