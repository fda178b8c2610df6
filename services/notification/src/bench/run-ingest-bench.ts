/**
 * The ingestion benchmark: how fast the `notification` group applies a generated world.
 *
 *   node services/notification/dist/bench/run-ingest-bench.js [--json] [--events 200000]
 *     [--preset medium] [--seed 1] [--partitions 8] [--batch-size 200] [--redis redis://...]
 *
 * Needs Redis (`npx tsc -b services/notification` builds it).
 * Progress goes to stderr. Profile with `node --cpu-prof --cpu-prof-dir=/tmp/prof ...`.
 */
import { parseArgs } from 'node:util';
import { createWorld, type WorldPresetName } from '@feedmesh/world';
import { runIngestBench } from './ingest-bench.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    events: { type: 'string', default: '200000' },
    preset: { type: 'string', default: 'medium' },
    seed: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '8' },
    'batch-size': { type: 'string' },
    redis: { type: 'string' },
  },
});

const report = await runIngestBench({
  events: createWorld({
    preset: values.preset as WorldPresetName,
    seed: Number(values.seed),
  }).events(),
  limit: Number(values.events),
  partitions: Number(values.partitions),
  ...(values['batch-size'] === undefined
    ? {}
    : { env: { NOTIFICATION_CONSUMER_BATCH_SIZE: values['batch-size'] } }),
  ...(values.redis === undefined ? {} : { redisUrl: values.redis }),
  log: (line) => process.stderr.write(`[ingest-bench] ${line}\n`),
});

if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const top = report.redisCommands
    .slice(0, 12)
    .map((c) => `  ${c.command}: ${c.calls} calls (${c.perEvent}/event), ${c.usec} µs`);
  process.stdout.write(
    [
      `machine: ${report.machine.cpus} cpus, load ${report.machine.loadAverage1mBefore.toFixed(2)} -> ${report.machine.loadAverage1mAfter.toFixed(2)}`,
      `events: ${report.events} ${JSON.stringify(report.byType)} (published in ${report.appendSeconds} s)`,
      `applied in ${report.seconds} s: ${report.eventsPerSecond} events/s` +
        (report.steadyEventsPerSecond === undefined
          ? ''
          : `; after the first 200,000: ${report.steadyEventsPerSecond} events/s`),
      'redis commands during consumption (all clients):',
      ...top,
      '',
    ].join('\n'),
  );
}
