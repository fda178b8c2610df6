/**
 * The ingestion benchmark: how fast the `notification` group applies a generated world.
 *
 *   node services/notification/dist/bench/run-ingest-bench.js [--json] [--events 200000]
 *     [--preset medium] [--seed 1] [--partitions 8] [--batch-size 200] [--redis redis://...]
 *
 * Needs Redis (`npx tsc -b services/notification` builds it).
 * Progress goes to stderr. Profile with `node --cpu-prof --cpu-prof-dir=/tmp/prof ...`.
 */
import { choiceFlag, integerFlag, integerFlagOr, parseScriptArgs } from '@feedmesh/service-kit';
import { createWorld, WORLD_PRESET_NAMES } from '@feedmesh/world';
import { runIngestBench } from './ingest-bench.js';

const values = parseScriptArgs(
  `node services/notification/dist/bench/run-ingest-bench.js [--json] [--events 200000]
  [--preset medium] [--seed 1] [--partitions 8] [--batch-size 200] [--redis redis://...]`,
  {
    json: { type: 'boolean', default: false },
    events: { type: 'string' },
    preset: { type: 'string' },
    seed: { type: 'string' },
    partitions: { type: 'string' },
    'batch-size': { type: 'string' },
    redis: { type: 'string' },
  },
);
const preset = choiceFlag('preset', values.preset, WORLD_PRESET_NAMES) ?? 'medium';
const batchSize = integerFlag('batch-size', values['batch-size']);

const report = await runIngestBench({
  events: createWorld({
    preset,
    seed: integerFlagOr('seed', values.seed, 1, 0),
  }).events(),
  limit: integerFlagOr('events', values.events, 200_000),
  partitions: integerFlagOr('partitions', values.partitions, 8),
  ...(batchSize === undefined
    ? {}
    : { env: { NOTIFICATION_CONSUMER_BATCH_SIZE: String(batchSize) } }),
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
