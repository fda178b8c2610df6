import assert from 'node:assert/strict';
import { runSearchBench } from './search-bench.js';

describe('runSearchBench', () => {
  it('reports both engines in-process, the service through gRPC, and a snapshot, on a small world', async () => {
    const report = await runSearchBench({ posts: 2_000, queries: 100, concurrency: 2 });
    assert.equal(report.posts, 2_000);
    assert.equal(
      Object.values(report.queryMix).reduce((n, count) => n + count, 0),
      100,
    );
    for (const latency of [
      report.feedmesh.search,
      report.minisearch?.search,
      report.grpc?.sequential,
      report.grpc?.concurrent,
    ]) {
      assert.ok(latency);
      assert.equal(latency.queries, 100);
      assert.ok(latency.queriesPerSecond > 0 && latency.p99Ms >= latency.p50Ms);
    }
    // The same queries find the same number of posts in-process and through gRPC.
    assert.equal(report.grpc?.sequential.meanTotalHits, report.feedmesh.search.meanTotalHits);
    assert.ok(report.feedmesh.search.meanTotalHits > 0);
    assert.ok(report.snapshot.bytes > 0);
  });
});
