/**
 * Runs the search benchmark and prints its report:
 *   node services/search/dist/bench/search.js [--posts 100000] [--queries 2000] [--seed 1]
 *     [--concurrency 4] [--no-grpc] [--no-minisearch] [--json]
 */
import { integerFlagOr, parseScriptArgs } from '@feedmesh/service-kit';
import { runSearchBench } from './search-bench.js';

const values = parseScriptArgs(
  'node services/search/dist/bench/search.js [--posts 100000] [--queries 2000] [--seed 1] [--concurrency 4] [--no-grpc] [--no-minisearch] [--json]',
  {
    posts: { type: 'string' },
    queries: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    'no-grpc': { type: 'boolean', default: false },
    'no-minisearch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
);

const report = await runSearchBench({
  posts: integerFlagOr('posts', values.posts, 100_000),
  queries: integerFlagOr('queries', values.queries, 2_000),
  seed: integerFlagOr('seed', values.seed, 1, 0),
  concurrency: integerFlagOr('concurrency', values.concurrency, 4),
  grpc: !values['no-grpc'],
  minisearch: !values['no-minisearch'],
});
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const mib = (bytes: number | undefined) =>
    bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const line = (name: string, r: { queriesPerSecond: number; p50Ms: number; p99Ms: number }) =>
    console.log(
      `${name.padEnd(26)} ${String(r.queriesPerSecond).padStart(7)} q/s   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms`,
    );
  console.log(
    `${report.posts} posts, ${report.blogs} blogs; load average ${report.loadAverage.join(' ')}`,
  );
  console.log(
    `feedmesh: indexed in ${report.feedmesh.indexMs} ms, ${mib(report.feedmesh.memoryBytes)}`,
  );
  if (report.minisearch) {
    console.log(
      `minisearch: indexed in ${report.minisearch.indexMs} ms, ${mib(report.minisearch.memoryBytes)}`,
    );
  }
  line('feedmesh in-process', report.feedmesh.search);
  if (report.minisearch) line('minisearch in-process', report.minisearch.search);
  if (report.grpc) {
    line('feedmesh gRPC, 1 at a time', report.grpc.sequential);
    line(`feedmesh gRPC, ${report.grpc.concurrent.concurrency} in flight`, report.grpc.concurrent);
  }
  const snap = report.snapshot;
  console.log(
    `snapshot: ${mib(snap.bytes)} written in ${snap.writeMs} ms (longest stall ${snap.longestStallMs} ms), read in ${snap.readMs} ms`,
  );
  console.log(`suggest p50 ${report.suggest.p50Ms} ms, p99 ${report.suggest.p99Ms} ms`);
}
