/**
 * The benchmark's gRPC caller, in a child process (forked by generate-bench.ts): its own event
 * loop, heap and V8 flags, as the gateway has, so the server's latency is not mixed with the
 * caller's decoding and garbage collection on one thread or one set of GC settings.
 */
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';

interface Job {
  readonly address: string;
  /** The transport floor: the same call answered with a canned response. */
  readonly floorAddress: string;
  /** The same canned response from a process holding nothing else: the transport alone. */
  readonly bareFloorAddress: string;
  readonly userIds: readonly string[];
  readonly warmup: number;
  readonly maxCandidates: number;
}

process.once('message', (message) => {
  void run(message as Job).then(
    (latencies) => process.send!({ ...latencies, execArgv: process.execArgv }),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});

/**
 * Each user in the ranking view, of the floor and of the bare floor, the order turning from
 * user to user, so all see the same machine; then each user in the full view, in a pass of its
 * own. The gateway asks only for the ranking view: until 2026-11-27 the full view was
 * interleaved with the others, and its larger responses (summaries) added to the scavenges
 * they met.
 */
async function run(
  job: Job,
): Promise<{ ranking: number[]; full: number[]; floor: number[]; bareFloor: number[] }> {
  const options = { deadlineMs: 10_000 };
  const definition = candidatesv1.CandidateGenerationServiceDefinition;
  const handle = createServiceClient(definition, job.address, options);
  const floor = createServiceClient(definition, job.floorAddress, options);
  const bareFloor = createServiceClient(definition, job.bareFloorAddress, options);
  const latencies = {
    ranking: [] as number[],
    full: [] as number[],
    floor: [] as number[],
    bareFloor: [] as number[],
  };
  type Ask = readonly [keyof typeof latencies, typeof handle, candidatesv1.CandidateView];
  const ranking: Ask = ['ranking', handle, candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING];
  const canned: Ask = ['floor', floor, candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING];
  const bare: Ask = ['bareFloor', bareFloor, candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING];
  const full: Ask = ['full', handle, candidatesv1.CandidateView.CANDIDATE_VIEW_FULL];
  const ask = async (i: number, userId: string, [name, client, view]: Ask) => {
    const t0 = performance.now();
    await client.client.generate({
      userId,
      surface: commonv1.Surface.SURFACE_FOR_YOU,
      maxCandidates: job.maxCandidates,
      view,
    });
    if (i >= job.warmup) latencies[name].push(performance.now() - t0);
  };
  try {
    for (const [i, userId] of job.userIds.entries()) {
      // The three in an order that turns from user to user, so each follows each.
      const turn = [ranking, canned, bare];
      for (let k = 0; k < turn.length; k++) await ask(i, userId, turn[(i + k) % turn.length]!);
    }
    for (const [i, userId] of job.userIds.entries()) await ask(i, userId, full);
  } finally {
    handle.close();
    floor.close();
    bareFloor.close();
  }
  return latencies;
}
