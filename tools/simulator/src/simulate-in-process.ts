import { createWorld, type WorldPresetName } from '@feedmesh/world';
import { runSimulation } from './run-simulation.js';
import { SimulatedClock } from './simulated-clock.js';
import type { SimulationOptions } from './simulation-options.js';
import { startSimulationMesh, type Env } from './simulation-mesh.js';
import type { SimulationSummary } from './simulation-summary.js';

export interface InProcessSimulationOptions extends Omit<
  SimulationOptions,
  'gatewayAddress' | 'world' | 'clock' | 'settle' | 'token'
> {
  /** The world loaded first (as the playground does). Default `default`. */
  readonly preset?: WorldPresetName;
  /** The world's seed. Default 1 (the playground's). */
  readonly worldSeed?: number;
  /** Train a model on the world before simulating, so the ranker is the trained one. Default true. */
  readonly train?: boolean;
  /** Settings for the services (experiment config, REDIS_URL, ...). */
  readonly env?: Env;
}

export interface InProcessSimulationReport {
  readonly world: {
    readonly preset: WorldPresetName;
    readonly seed: number;
    readonly events: number;
  };
  readonly timings: {
    readonly loadMs: number;
    readonly trainMs: number;
    readonly simulateMs: number;
  };
  readonly model: string | undefined;
  readonly summary: SimulationSummary;
}

/**
 * The whole loop in this process, on simulated time: starts the mesh, loads a generated world,
 * trains, simulates, and stops the mesh. What `feedmesh simulate` runs without `--addr`.
 */
export async function simulateInProcess(
  options: InProcessSimulationOptions = {},
): Promise<InProcessSimulationReport> {
  const preset = options.preset ?? 'default';
  const worldSeed = options.worldSeed ?? 1;
  const clock = new SimulatedClock(Math.floor(Date.now() / 60_000) * 60_000);
  const world = createWorld({ preset, seed: worldSeed, now: clock.now() });
  const mesh = await startSimulationMesh({ clock, ...(options.env ? { env: options.env } : {}) });
  try {
    let started = performance.now();
    const events = await mesh.publish(world.events());
    const loadMs = performance.now() - started;
    started = performance.now();
    let model: string | undefined;
    if (options.train ?? true) {
      const report = await mesh.train();
      model = report.version ? `${report.modelName}@${report.version}` : undefined;
    }
    const trainMs = performance.now() - started;
    started = performance.now();
    const summary = await runSimulation({
      ...options,
      gatewayAddress: mesh.gatewayAddress,
      world: world.truth,
      clock,
      settle: () => mesh.settle(),
    });
    return {
      world: { preset, seed: worldSeed, events },
      timings: {
        loadMs: Math.round(loadMs),
        trainMs: Math.round(trainMs),
        simulateMs: Math.round(performance.now() - started),
      },
      model,
      summary,
    };
  } finally {
    await mesh.shutdown();
  }
}
