import type { eventsv1 } from '@feedmesh/contracts';
import { resolveWorldOptions, type WorldOptions } from './world-options.js';
import { simulateWorld } from './world-simulation.js';
import { planWorld, type WorldTruth } from './world-truth.js';

/**
 * A generated world: its hidden truth, drawn up front (users and blogs), and its events,
 * generated on demand.
 */
export interface World {
  readonly truth: WorldTruth;
  /**
   * Every event in time order, generated lazily (a large world streams in bounded memory).
   * Each call starts from the beginning and yields the same events.
   */
  events(): Generator<eventsv1.Event>;
}

/** Worlds with more posts than this are only streamed (`createWorld(...).events()`). */
export const MAX_COLLECTED_POSTS = 200_000;

/** Draws the world's cast; its events are generated when iterated. Bad options throw a RangeError. */
export function createWorld(options: WorldOptions = {}): World {
  const truth = planWorld(resolveWorldOptions(options));
  return { truth, events: () => simulateWorld(truth) };
}

/**
 * The whole world in memory, for tests and small playgrounds. Refuses worlds too large to
 * hold: stream those with `createWorld(...).events()`.
 */
export function generateWorld(options: WorldOptions = {}): {
  truth: WorldTruth;
  events: eventsv1.Event[];
} {
  const world = createWorld(options);
  if (world.truth.parameters.posts > MAX_COLLECTED_POSTS) {
    throw new RangeError(
      `posts: ${world.truth.parameters.posts} posts is too many to hold in memory ` +
        `(at most ${MAX_COLLECTED_POSTS}); stream it with createWorld(options).events()`,
    );
  }
  return { truth: world.truth, events: Array.from(world.events()) };
}
