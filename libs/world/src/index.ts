/**
 * A deterministic generated world for the playground, tests, benchmarks and the simulator:
 * users with hidden interests, blogs (established and new creators), posts, follows and a
 * month of sessions and engagements, as `eventsv1.Event`s in time order.
 *
 *   const world = createWorld({ preset: 'small', seed: 7, now: Date.UTC(2025, 0, 1) });
 *   for (const event of world.events()) publish(event);   // streams, any size
 *   world.truth.interest('u42', topicOfTag('sourdough')!); // what u42 really likes
 */
export { createWorld, generateWorld, MAX_COLLECTED_POSTS, type World } from './world.js';
export {
  resolveWorldOptions,
  WORLD_PRESETS,
  WORLD_PRESET_NAMES,
  worldHeapBytes,
  type WorldOptions,
  type WorldParameters,
  type WorldPresetName,
  type WorldSize,
} from './world-options.js';
export type { BlogKind, TopicWeight, WorldBlog, WorldTruth, WorldUser } from './world-truth.js';
export { TOPICS, topicOfTag, type Topic } from './topics.js';
