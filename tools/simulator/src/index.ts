/**
 * The user simulator (`feedmesh simulate`): synthetic users with hidden interests read feeds
 * through the real gateway and publish what they do, closing the loop in the spirit of RecSim.
 *
 *   const mesh = await startSimulationMesh({ world, clock });       // or a running playground
 *   const summary = await runSimulation({ gatewayAddress: mesh.gatewayAddress, world: world.truth,
 *     clock, users: 200, days: 7, seed: 1, settle: mesh.settle });
 */
export { runSimulation } from './run-simulation.js';
export {
  resolveSimulationOptions,
  type DayProgress,
  type SimulationOptions,
  type SimulationParameters,
} from './simulation-options.js';
export type { SimulationSummary, SimulatedUserRecord } from './simulation-summary.js';
export type { PublishTally } from './event-publisher.js';
export { SimulatedClock } from './simulated-clock.js';
export { BEHAVIOUR, react, type Reaction, type Reader } from './behaviour-model.js';
export { ContentTruth, type Creator, type PostView } from './content-truth.js';
export {
  startSimulationMesh,
  type SimulationMesh,
  type SimulationMeshOptions,
} from './simulation-mesh.js';
export {
  simulateInProcess,
  type InProcessSimulationOptions,
  type InProcessSimulationReport,
} from './simulate-in-process.js';
