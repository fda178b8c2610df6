/**
 * The feature store as its own process for the benchmark: as `main.js`, but with the request
 * clock pinned (BENCH_CLOCK_MS, the generated world's present) and no telemetry SDK. Prints
 * `{"address": "host:port"}` once serving; drains and exits on SIGTERM. With
 * BENCH_CPU_PROFILE=<file>, writes a V8 CPU profile of its whole life there on the way out.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createRuntime, loadConfig } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { featureStoreConfigShape, startFeatureStore } from '../index.js';

const profilePath = process.env.BENCH_CPU_PROFILE;
const profiler = profilePath === undefined ? undefined : new Session();
if (profiler !== undefined) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}

const logger = createLogger('feature-store-bench', { level: 'warn' });
const config = loadConfig(featureStoreConfigShape);
const clockMs = Number(process.env.BENCH_CLOCK_MS ?? Date.now());
const runtime = createRuntime(config, logger);
const server = await startFeatureStore({ config, runtime, logger, clock: () => clockMs });
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await server.shutdown('SIGTERM');
    await runtime.close();
    if (profiler !== undefined && profilePath !== undefined) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(profilePath, JSON.stringify(profile));
    }
    process.exit(0);
  })();
});
