/**
 * Runs the feature store benchmark now, until `feedmesh bench features` calls it (`--help`
 * gives its flags).
 *
 * Progress goes to stderr; the report to stdout (JSON with --json, else a short summary).
 */
import { choiceFlag, integerFlag, parseScriptArgs } from '@feedmesh/service-kit';
import { WORLD_PRESET_NAMES } from '@feedmesh/world';
import { runFeatureBench, type FeatureBenchOptions } from './feature-bench.js';

const USAGE = `node services/feature-store/dist/bench/features.js [--json] [--preset medium]
  [--requests 1000] [--warmup 200] [--posts-per-request 1000] [--batch-size 2000]
  [--partitions 8] [--seed 1] [--posts N] [--redis-url redis://...] [--prefix bench:fs:x]
  [--keep-data] [--verify]`;

const values = parseScriptArgs(USAGE, {
  json: { type: 'boolean', default: false },
  preset: { type: 'string' },
  seed: { type: 'string' },
  posts: { type: 'string' },
  'posts-per-request': { type: 'string' },
  requests: { type: 'string' },
  warmup: { type: 'string' },
  partitions: { type: 'string' },
  'batch-size': { type: 'string' },
  'keep-data': { type: 'boolean', default: false },
  verify: { type: 'boolean', default: false },
  prefix: { type: 'string' },
  'redis-url': { type: 'string' },
});

const preset = choiceFlag('preset', values.preset, WORLD_PRESET_NAMES);
const options: FeatureBenchOptions = {
  ...(preset === undefined ? {} : { preset }),
  ...Object.fromEntries(
    (
      [
        ['seed', 'seed'],
        ['posts', 'posts'],
        ['postsPerRequest', 'posts-per-request'],
        ['requests', 'requests'],
        ['warmup', 'warmup'],
        ['partitions', 'partitions'],
        ['batchSize', 'batch-size'],
      ] as const
    ).flatMap(([option, flag]) => {
      const value = integerFlag(flag, values[flag]);
      return value === undefined ? [] : [[option, value]];
    }),
  ),
  keepData: values['keep-data'],
  verify: values.verify,
  ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
  ...(values['redis-url'] === undefined ? {} : { redisUrl: values['redis-url'] }),
  log: (line) => process.stderr.write(`${line}\n`),
};

const report = await runFeatureBench(options);
if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const {
    ingestion,
    getFeatures,
    getFeaturesGeneratedClient: generated,
    inProcess,
    rawMget,
    ratio,
  } = report;
  process.stdout.write(
    [
      `ingestion: ${ingestion.eventsPerSecond} events/s (${ingestion.events} events, ${ingestion.seconds} s)`,
      `GetFeatures (${getFeatures.posts} posts, gRPC, feed-gateway's client): p50 ${getFeatures.p50} ms, p95 ${getFeatures.p95} ms, p99 ${getFeatures.p99} ms`,
      `GetFeatures, generated client: p50 ${generated.p50} ms, p95 ${generated.p95} ms, p99 ${generated.p99} ms`,
      `same work in process (no gRPC): p50 ${inProcess.p50} ms, p95 ${inProcess.p95} ms, p99 ${inProcess.p99} ms`,
      `raw MGET (${rawMget.keys} keys): p50 ${rawMget.p50} ms, p95 ${rawMget.p95} ms, p99 ${rawMget.p99} ms`,
      `ratio to raw MGET: p50 ${ratio.p50}, p95 ${ratio.p95}, p99 ${ratio.p99}` +
        ` (generated client: p99 ${report.ratioGeneratedClient.p99})`,
      `load average: ${JSON.stringify(report.machine.loadAverage)}`,
      '',
    ].join('\n'),
  );
}
