/**
 * The benchmark's gRPC client, in a worker thread: a caller has its own event loop and heap,
 * as the gateway would in its own process, so the server's latency is not mixed with the
 * client's decoding and garbage on one thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';

interface Job {
  readonly address: string;
  readonly userIds: readonly string[];
  readonly warmup: number;
  readonly maxCandidates: number;
}

const job = workerData as Job;
const handle = createServiceClient(candidatesv1.CandidateGenerationServiceDefinition, job.address, {
  deadlineMs: 10_000,
});
const latencies: number[] = [];
try {
  for (const [i, userId] of job.userIds.entries()) {
    const t0 = performance.now();
    await handle.client.generate({
      userId,
      surface: commonv1.Surface.SURFACE_FOR_YOU,
      maxCandidates: job.maxCandidates,
    });
    if (i >= job.warmup) latencies.push(performance.now() - t0);
  }
} finally {
  handle.close();
}
parentPort!.postMessage(latencies);
