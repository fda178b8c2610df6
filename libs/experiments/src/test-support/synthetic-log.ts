import { commonv1, type eventsv1 } from '@feedmesh/contracts';

/** A small seeded PRNG (mulberry32): the same seed gives the same log on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Poisson draw by inversion: fine for the small rates of a test. */
export function poisson(random: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

export const DAY = 86_400_000;
export const START = Date.UTC(2026, 10, 1);

export interface SyntheticOptions {
  readonly experiment: string;
  readonly users: number;
  /** Variant of user i. */
  readonly variantOf: (userId: string, index: number) => string | undefined;
  /** Multiplier on the like probability per impression, by variant. */
  readonly likeLift?: Readonly<Record<string, number>>;
  readonly days?: number;
  readonly seed?: number;
}

/**
 * An event log for a synthetic experiment: each user has a hidden activity level that drives
 * both the pre-period and the experiment period (what CUPED exploits), sessions with a page
 * of impressions each, and likes with a variant-dependent lift. Blog b0 is a new creator.
 */
export function syntheticExperimentLog(options: SyntheticOptions): eventsv1.Event[] {
  const random = seededRandom(options.seed ?? 1);
  const days = options.days ?? 7;
  const events: eventsv1.Event[] = [];
  let next = 0;
  const push = (atMs: number, payload: eventsv1.Event['payload']) => {
    events.push({ eventId: `e${++next}`, atMs, payload });
  };
  push(START - 60 * DAY, {
    $case: 'blogCreated',
    value: { blogId: 'b1', ownerUserId: 'owner1', name: 'old', title: '' },
  });
  push(START - DAY, {
    $case: 'blogCreated',
    value: { blogId: 'b0', ownerUserId: 'owner0', name: 'new', title: '' },
  });
  for (let p = 0; p < 20; p++) {
    push(START - 2 * DAY + p, {
      $case: 'postCreated',
      value: {
        postId: `p${p}`,
        blogId: p % 4 === 0 ? 'b0' : 'b1',
        text: '',
        tags: [],
        mediaKind: 1,
        reblogOf: '',
      },
    });
  }
  for (let u = 0; u < options.users; u++) {
    const userId = `u${u}`;
    const variant = options.variantOf(userId, u);
    const activity = 0.3 + 2.5 * random() ** 2;
    const lift = variant ? (options.likeLift?.[variant] ?? 1) : 1;
    const live = (from: number, to: number, inExperiment: boolean) => {
      const sessions = poisson(random, activity * ((to - from) / DAY));
      for (let s = 0; s < sessions; s++) {
        const at = from + Math.floor(random() * (to - from));
        push(at, { $case: 'sessionStarted', value: { userId } });
        for (let position = 0; position < 5; position++) {
          const postId = `p${Math.floor(random() * 20)}`;
          const experiments =
            inExperiment && variant ? [{ experiment: options.experiment, variant }] : [];
          push(at + 1 + position, {
            $case: 'impression',
            value: {
              userId,
              postId,
              requestId: `r${u}-${s}`,
              position,
              surface: commonv1.Surface.SURFACE_DASHBOARD,
              experiments,
              source: 'following',
              model: '',
              score: 0,
              featureSchema: '',
              featureValues: [],
              featureMissing: Buffer.alloc(0),
            },
          });
          const likeProbability = Math.min(0.95, 0.1 * activity * (inExperiment ? lift : 1));
          if (random() < likeProbability) {
            push(at + 10 + position, {
              $case: 'engagement',
              value: { userId, postId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
            });
          }
        }
      }
    };
    live(START - 7 * DAY, START, false);
    live(START, START + days * DAY, true);
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}
