import { z } from 'zod';

/**
 * The mixer's parameters: how the selection stage composes a page from the scored candidates.
 * The gateway's config sets the defaults; an experiment variant may override any of them per
 * request (`mixer` in a variant's overrides), validated by the same schema.
 */
export interface MixerParams {
  /** The k-th post of one blog on a page keeps decay^k of its score (1: no penalty). */
  readonly authorDiversityDecay: number;
  /**
   * Share of the page for followed blogs on the dashboard, when there are enough of them;
   * recommended posts fill the rest. Undefined: no balancing, score order decides.
   */
  readonly inNetworkShare: number | undefined;
  /** Share of the page reserved for new creators when any qualify, best of them first. */
  readonly newCreatorShare: number;
  /** Boost of a brand-new post: score × (1 + boost × 2^(-age / half-life)); 0: off. */
  readonly freshnessBoost: number;
  readonly freshnessHalfLifeHours: number;
}

export const DEFAULT_MIXER_PARAMS: MixerParams = {
  authorDiversityDecay: 0.5,
  inNetworkShare: undefined,
  newCreatorShare: 0,
  freshnessBoost: 0,
  freshnessHalfLifeHours: 6,
};

const share = z.number().min(0).max(1);

/** What an override may say: any subset of the parameters, each within its range. */
export const mixerOverridesSchema = z
  .object({
    authorDiversityDecay: z.number().gt(0).max(1),
    inNetworkShare: share,
    newCreatorShare: share,
    freshnessBoost: z.number().min(0).max(100),
    freshnessHalfLifeHours: z
      .number()
      .positive()
      .max(24 * 365),
  })
  .partial()
  .strict();

export type MixerOverrides = z.infer<typeof mixerOverridesSchema>;

/** The defaults with an override's values on top (later overrides win). */
export function mixerParamsWith(
  base: MixerParams,
  ...overrides: readonly (MixerOverrides | undefined)[]
): MixerParams {
  let params = base;
  for (const override of overrides) if (override) params = { ...params, ...override };
  return params;
}
