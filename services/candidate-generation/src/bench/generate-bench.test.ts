import assert from 'node:assert/strict';
import { SOURCE_NAMES } from '../candidate-source.js';
import { runGenerateBench } from './generate-bench.js';

describe('the Generate benchmark (small world)', function () {
  this.timeout(120_000);

  it('reports every measured call, in process and through gRPC, and splits them by whether a collector pause overlapped', async () => {
    const requests = 60;
    const report = await runGenerateBench({
      preset: 'small',
      requests,
      warmup: 5,
      maxCandidates: 200,
      factors: 8,
      iterations: 2,
      grpc: true,
      callerNodeFlags: ['--max-semi-space-size=32'],
    });
    assert.equal(report.world.events > 0, true);
    assert.equal(report.rebuild.rejected, 0);
    assert.equal(report.generate.count, requests);
    assert.equal(report.cpu.count, requests);
    assert.equal(report.response.kb.count, requests);
    assert.equal(report.responseFull.kb.count, requests, 'the full view of every measured call');
    assert.ok(report.responseFull.kb.mean > report.response.kb.mean, 'the full view holds more');
    assert.ok(report.generate.meanCandidates > 0, 'the calls returned candidates');
    assert.ok(report.generate.meanCandidates <= 200, 'within max_candidates');
    assert.ok(report.embeddings.posts > 0, 'the embeddings were trained and loaded');
    for (const [name, summary] of Object.entries({
      ranking: report.grpc,
      full: report.grpcFull,
      floor: report.grpcFloor,
      'bare floor': report.grpcBareFloor,
    })) {
      assert.equal(summary?.count, requests, `every measured user through gRPC, ${name}`);
    }
    assert.deepEqual(Object.keys(report.sources).sort(), [...SOURCE_NAMES].sort());

    const { callsWithPause, generateWithoutPause, cpuWithoutPause } = report.gc;
    assert.equal(callsWithPause + generateWithoutPause.count, requests);
    assert.equal(cpuWithoutPause.count, generateWithoutPause.count);
    if (report.gc.scavenges + report.gc.markCompacts === 0) assert.equal(callsWithPause, 0);
    if (callsWithPause === 0) {
      const { meanCandidates: _, ...generate } = report.generate;
      assert.deepEqual(
        generateWithoutPause,
        generate,
        'no pause: the same calls, the same summary',
      );
    }
    assert.deepEqual(
      report.node,
      {
        version: process.version,
        flags: process.execArgv,
        callerFlags: ['--max-semi-space-size=32'],
      },
      'the report names the flags of the process that measured',
    );
  });
});
