/**
 * The benchmark's gRPC caller, in a child process (forked by generate-bench.ts): its own event
 * loop, heap and V8 flags, as the gateway has, so the server's latency is not mixed with the
 * caller's decoding and garbage collection on one thread or one set of GC settings.
 */
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';

interface Job {
  readonly address: string;
  readonly userIds: readonly string[];
  readonly warmup: number;
  readonly maxCandidates: number;
}

process.once('message', (message) => {
  void run(message as Job).then(
    (latencies) => process.send!(latencies),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});

/** Each user in both views, alternating which goes first, so both see the same machine. */
async function run(job: Job): Promise<{ ranking: number[]; full: number[] }> {
  const handle = createServiceClient(
    candidatesv1.CandidateGenerationServiceDefinition,
    job.address,
    { deadlineMs: 10_000 },
  );
  const latencies = { ranking: [] as number[], full: [] as number[] };
  const views = [
    ['ranking', candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING],
    ['full', candidatesv1.CandidateView.CANDIDATE_VIEW_FULL],
  ] as const;
  try {
    for (const [i, userId] of job.userIds.entries()) {
      for (const [name, view] of i % 2 === 0 ? views : [...views].reverse()) {
        const t0 = performance.now();
        await handle.client.generate({
          userId,
          surface: commonv1.Surface.SURFACE_FOR_YOU,
          maxCandidates: job.maxCandidates,
          view,
        });
        if (i >= job.warmup) latencies[name].push(performance.now() - t0);
      }
    }
  } finally {
    handle.close();
  }
  return latencies;
}
