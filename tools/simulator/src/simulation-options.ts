import { commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { WorldTruth } from '@feedmesh/world';
import type { SimulatedClock } from './simulated-clock.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface SimulationOptions {
  /** The gateway to read feeds from and publish events to, `host:port`. */
  readonly gatewayAddress: string;
  /** Sent as `authorization: Bearer <token>` when the gateway asks for one. */
  readonly token?: string;
  /**
   * The world the mesh was loaded with: its users (hidden interests, activity, who lapsed)
   * are the simulated population and its blogs the creators. Rebuild it with the same
   * options the playground used (`createWorld({ preset, seed, now }).truth`).
   */
  readonly world: WorldTruth;
  /** How many of the world's users take part (a seeded sample); default all. */
  readonly users?: number;
  /** Simulated days. Default 7. */
  readonly days?: number;
  /** Same seed, same decisions for the same feeds. Default 1. */
  readonly seed?: number;
  /**
   * Simulated time. Pass the clock the mesh runs on (`startSimulationMesh`) so impressions and
   * events share one timeline; without one the simulation ends at the wall clock's now and
   * its events are stamped in the past (the gateway still stamps impressions with its own
   * time).
   */
  readonly clock?: SimulatedClock;
  /** Simulated length of one step, ms: sessions due in a step run together. Default 30 min. */
  readonly tickMs?: number;
  /** Sessions run at once. Default 8. */
  readonly concurrency?: number;
  /** Items per GetFeed page. Default 10. */
  readonly pageSize?: number;
  /** Pages a session reads at most. Default 5. */
  readonly maxPages?: number;
  /** The feed users read. Default the dashboard. */
  readonly surface?: commonv1.Surface;
  /** New posts per simulated day from the world's blogs, so feeds have something new. Default: the world's own rate. */
  readonly postsPerDay?: number;
  /** New creators (blogs) starting per simulated day. Default 2. */
  readonly newCreatorsPerDay?: number;
  /** Users read their notifications at the start of a session. Default true. */
  readonly notifications?: boolean;
  /** Returns the per-user records in the summary (for an experiment analysis). Default false. */
  readonly perUser?: boolean;
  /**
   * Called after each step, e.g. to wait until the mesh has consumed what was published, so
   * the next step is served from a settled state. Default: none.
   */
  readonly settle?: () => Promise<void>;
  /** Progress after each simulated day. */
  readonly onDay?: (day: number, summary: DayProgress) => void;
  /** Distinguishes this run's ids from earlier runs against the same mesh. Default from seed and start time. */
  readonly runTag?: string;
}

export interface DayProgress {
  readonly sessions: number;
  readonly impressions: number;
  readonly engagements: number;
  readonly activeUsers: number;
}

/** Every option decided. */
export interface SimulationParameters {
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  readonly startMs: number;
  readonly tickMs: number;
  readonly concurrency: number;
  readonly pageSize: number;
  readonly maxPages: number;
  readonly surface: commonv1.Surface;
  readonly postsPerDay: number;
  readonly newCreatorsPerDay: number;
  readonly notifications: boolean;
  readonly runTag: string;
}

/** Fills in defaults and checks each option, throwing an InvalidArgumentError naming it. */
export function resolveSimulationOptions(
  options: SimulationOptions,
  clock: SimulatedClock,
): SimulationParameters {
  const { world } = options;
  if (options.gatewayAddress.trim() === '')
    throw new InvalidArgumentError('gatewayAddress', 'is required');
  const days = number('days', options.days ?? 7, 1 / 24, 365);
  const seed = integer('seed', options.seed ?? 1, 0, 2 ** 32 - 1);
  // Whole seconds: a run started on the same clock time replays exactly.
  const startMs = Math.floor(clock.now() / 1_000) * 1_000;
  const worldPostsPerDay = world.parameters.posts / world.parameters.days;
  return {
    users: integer('users', options.users ?? world.users.length, 1, world.users.length),
    days,
    seed,
    startMs,
    tickMs: integer('tickMs', options.tickMs ?? 30 * MINUTE_MS, MINUTE_MS, DAY_MS),
    concurrency: integer('concurrency', options.concurrency ?? 8, 1, 256),
    pageSize: integer('pageSize', options.pageSize ?? 10, 1, 100),
    maxPages: integer('maxPages', options.maxPages ?? 5, 1, 50),
    surface: options.surface ?? commonv1.Surface.SURFACE_DASHBOARD,
    postsPerDay: number('postsPerDay', options.postsPerDay ?? worldPostsPerDay, 0, 1_000_000),
    newCreatorsPerDay: number('newCreatorsPerDay', options.newCreatorsPerDay ?? 2, 0, 10_000),
    notifications: options.notifications ?? true,
    runTag: idPart('runTag', options.runTag ?? `s${seed}t${startMs.toString(36)}`),
  };
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(name, `must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function number(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max)
    throw new InvalidArgumentError(name, `must be a number from ${min} to ${max}, got ${value}`);
  return value;
}

function idPart(name: string, value: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,24}$/.test(value))
    throw new InvalidArgumentError(name, 'must be 1-24 characters from [A-Za-z0-9_.:-]');
  return value;
}
