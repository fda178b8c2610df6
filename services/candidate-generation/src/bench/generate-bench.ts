import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { startGrpcServer } from '@feedmesh/service-kit';
import { candidateGenerationService } from '../candidate-generation-service.js';
import { trainEmbeddings, type WeightedEngagement } from '@feedmesh/embeddings';
import { createLogger } from '@feedmesh/telemetry';
import { createWorld, type WorldPresetName } from '@feedmesh/world';
import { assembleCandidatePipeline } from '../candidate-pipeline.js';
import { DEFAULT_SETTINGS } from '../candidate-settings.js';
import { engagementWeight } from '../engagement-weights.js';
import { InMemoryCandidateStore } from '../in-memory-candidate-store.js';
import { parseGenerateRequest, type GenerateQuery } from '../requests.js';
import { normalizeTags } from '../tags.js';
import { summarizeLatencies, type LatencySummary } from './latency-summary.js';
import { BENCH_SERVER_OPTIONS, startCannedServer } from './canned-server.js';

export interface GenerateBenchOptions {
  /** libs/world preset. Default `large` (1,000,000 posts, 100,000 users). */
  readonly preset?: WorldPresetName;
  readonly seed?: number;
  /** Measured Generate calls (after `warmup` unmeasured ones). Default 2,000. */
  readonly requests?: number;
  readonly warmup?: number;
  /** max_candidates of each call. Default 1,000. */
  readonly maxCandidates?: number;
  /** Embedding factors trained on the world (0: no embeddings source). Default 32. */
  readonly factors?: number;
  /** ALS alternations. Default 8. */
  readonly iterations?: number;
  /** Posts in the related source's item-to-item model (session EASE); 0, the default: none. */
  readonly neighbourPosts?: number;
  /**
   * Also measure through gRPC: the service's binding on a real server on 127.0.0.1:0, called
   * by a real client in a child process (its own event loop, heap and V8 flags, as the
   * gateway). Default false: in process only.
   */
  readonly grpc?: boolean;
  /**
   * Node flags of the gRPC caller's process, which plays the gateway: the CLI gives it the
   * gateway's deployed ones. Default none (Node's own young generation).
   */
  readonly callerNodeFlags?: readonly string[];
  /** Writes a CPU profile of the measured requests here (a .cpuprofile file). */
  readonly profile?: string;
  /**
   * Writes a sampling heap profile of the measured requests here (a .heapprofile file): the
   * sampled objects no scavenge collected (those still in the young generation at the end
   * included), by allocation site. What survives scavenges and fills the old generation.
   */
  readonly heapProfile?: string;
  /** Progress lines (rebuild), e.g. to stderr. */
  readonly progress?: (line: string) => void;
}

export interface GenerateBenchReport {
  readonly preset: WorldPresetName;
  /**
   * The measuring process: Node's version and the flags it ran with (process.execArgv). The
   * figures hold for those flags; the service runs with SERVICE_NODE_FLAGS (the playground's).
   */
  readonly node: {
    readonly version: string;
    readonly flags: readonly string[];
    /** The gRPC caller's flags, when it ran. */
    readonly callerFlags?: readonly string[];
  };
  readonly world: { readonly events: number; readonly posts: number; readonly users: number };
  readonly rebuild: {
    readonly ms: number;
    readonly eventsPerSecond: number;
    readonly rejected: number;
    /** JS heap growth while indexing, MB (after a GC when node runs with --expose-gc). */
    readonly heapMb: number;
  };
  /** The trainer's part (not on the serving path) and the serving side's load of its model. */
  readonly embeddings: {
    readonly factors: number;
    readonly trainMs: number;
    readonly loadMs: number;
    readonly posts: number;
    readonly users: number;
    readonly lists: number;
    readonly vectorMb: number;
  };
  /** Index sizes after the rebuild. */
  readonly state: Readonly<Record<string, number>>;
  readonly generate: LatencySummary & { readonly meanCandidates: number };
  /**
   * The same calls through gRPC on loopback, when asked for, in the ranking view (what the
   * gateway asks for), and afterwards, in a pass of their own, the full view.
   */
  readonly grpc?: LatencySummary;
  readonly grpcFull?: LatencySummary;
  /**
   * The transport's floor, asked by the same caller in turn with the ranking view: a server that
   * answers every Generate with one canned ranking-view response of a real call (the first
   * measured user's), so the time is the gRPC stack's and the response's encoding and decoding
   * alone.
   */
  readonly grpcFloor?: LatencySummary;
  /**
   * The same canned response served by a process of its own that holds nothing else (default
   * V8 flags), asked in the same turn: the transport alone, without the pauses of the large
   * heap that the floor above shares with the real server.
   */
  readonly grpcBareFloor?: LatencySummary;
  /**
   * The protobuf GenerateResponse of each measured call (encoded apart from the timed call):
   * its size in KB and the time to encode it, ms, in the ranking view; `responseFull` the
   * same call's response in the full view. The gRPC call adds both ends of this plus the
   * client's decode, which costs several times the encode (a string object per field).
   */
  readonly response: { readonly kb: LatencySummary; readonly encodeMs: LatencySummary };
  readonly responseFull: { readonly kb: LatencySummary; readonly encodeMs: LatencySummary };
  /**
   * CPU time of this process per call (process.cpuUsage: main thread plus GC helpers), ms:
   * what the wall time would approach on an idle machine. The wall time includes waiting for
   * a core when other processes load the machine.
   */
  readonly cpu: LatencySummary;
  /**
   * Garbage collection during the measured in-process calls (each response's encoding
   * included, as the server encodes it; not the full-view pass after them): pauses by kind (PerformanceObserver), and what the calls left in
   * the old generation (its growth over each call, summed: promotion by scavenges and objects
   * allocated there directly), per call.
   */
  readonly gc: {
    readonly scavenges: number;
    readonly scavengeMs: LatencySummary;
    readonly markCompacts: number;
    readonly markCompactMs: LatencySummary;
    readonly oldGrowthKbPerCall: number;
    /**
     * The timed ranking-view calls that a pause (either kind) overlapped, and the latency of
     * the others: whether the tail is the collector's or the work's.
     */
    readonly callsWithPause: number;
    readonly generateWithoutPause: LatencySummary;
    readonly cpuWithoutPause: LatencySummary;
  };
  /** Resident set size after the run, MB (heap, typed arrays, vectors). */
  readonly rssMb: number;
  /** Per source: wall time within Generate, and candidates returned. */
  readonly sources: Readonly<Record<string, LatencySummary & { readonly meanCount: number }>>;
  readonly load: readonly number[];
}

const NOW = Date.UTC(2025, 5, 1);

/**
 * `Generate` latency on a generated world: streams the world's events through the real
 * indexer into the in-process indexes (timing the rebuild), then calls the real generator
 * for users drawn from the world with `maxCandidates` candidates on SURFACE_FOR_YOU.
 */
export async function runGenerateBench(
  options: GenerateBenchOptions = {},
): Promise<GenerateBenchReport> {
  const preset = options.preset ?? 'large';
  const requests = options.requests ?? 2_000;
  const warmup = options.warmup ?? 200;
  const maxCandidates = options.maxCandidates ?? 1_000;
  const progress = options.progress ?? (() => undefined);
  const world = createWorld({ preset, seed: options.seed ?? 1, now: NOW });
  const store = new InMemoryCandidateStore();
  const pipeline = assembleCandidatePipeline({
    store,
    settings: DEFAULT_SETTINGS,
    clock: () => NOW,
    logger: createLogger('bench', { level: 'silent' }),
  });

  const heapBefore = heapUsed();
  const started = performance.now();
  let events = 0;
  let rejected = 0;
  const factors = options.factors ?? 32;
  // What the trainer would read from the log: positive engagements, and each post's content.
  const engagements: WeightedEngagement[] = [];
  const contents: { postId: string; blogId: string; tags: string[] }[] = [];
  for (const event of world.events()) {
    events += 1;
    try {
      await pipeline.indexer.apply(event);
    } catch {
      rejected += 1;
    }
    if (factors > 0 && event.payload?.$case === 'engagement') {
      const { userId, postId, kind } = event.payload.value;
      const weight = engagementWeight(kind);
      if (weight?.positive) {
        engagements.push({ userId, postId, weight: weight.popularity, atMs: event.atMs });
      }
    } else if (factors > 0 && event.payload?.$case === 'postCreated') {
      const { postId, blogId, tags } = event.payload.value;
      contents.push({ postId, blogId, tags: normalizeTags(tags) });
    }
    if (events % 500_000 === 0) {
      progress(`${events} events, ${Math.round(performance.now() - started)} ms`);
    }
  }
  const rebuildMs = performance.now() - started;
  const heapMb = (heapUsed() - heapBefore) / 1e6;

  const state = store.stats();

  let embeddings: GenerateBenchReport['embeddings'] = {
    factors: 0,
    trainMs: 0,
    loadMs: 0,
    posts: 0,
    users: 0,
    lists: 0,
    vectorMb: 0,
  };
  if (factors > 0) {
    progress(`training embeddings on ${engagements.length} engagements`);
    const trainStarted = performance.now();
    const artifact = trainEmbeddings(engagements, contents, {
      trainedAtMs: NOW,
      factors,
      iterations: options.iterations ?? 8,
      ...(options.neighbourPosts ? { neighbours: { maxItems: options.neighbourPosts } } : {}),
    });
    const trainMs = performance.now() - trainStarted;
    engagements.length = 0;
    contents.length = 0;
    const loadStarted = performance.now();
    pipeline.embeddings.load(artifact, (postId) => store.isLive(postId));
    pipeline.related.load(artifact.neighbours);
    const loadMs = performance.now() - loadStarted;
    const stats = pipeline.embeddings.stats;
    embeddings = {
      factors,
      trainMs: Math.round(trainMs),
      loadMs: Math.round(loadMs),
      posts: stats.posts,
      users: stats.users,
      lists: stats.lists,
      vectorMb: Math.round(stats.vectorBytes / 1e6),
    };
    progress(`embeddings: ${JSON.stringify(embeddings)}`);
  }

  const users = world.truth.users;
  let next = 12345;
  const pickUser = () => {
    next = (Math.imul(next, 1103515245) + 12345) >>> 0;
    return users[next % users.length]!.id;
  };
  const latencies: number[] = [];
  const cpuTimes: number[] = [];
  const candidateCounts: number[] = [];
  const encodeTimes: number[] = [];
  const responseKb: number[] = [];
  const fullEncodeTimes: number[] = [];
  const fullResponseKb: number[] = [];
  const bySource = new Map<string, { ms: number[]; counts: number[] }>();
  const session = options.profile || options.heapProfile ? new Session() : undefined;
  const gcPauses = { minor: [] as number[], major: [] as number[] };
  /** Every pause, [start, end] on the performance timeline, as the calls' spans are. */
  const pauseSpans: [number, number][] = [];
  const callSpans: [number, number][] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcPauses.minor.push(entry.duration);
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcPauses.major.push(entry.duration);
      pauseSpans.push([entry.startTime, entry.startTime + entry.duration]);
    }
  });
  let oldGrowth = 0;
  const measuredQueries: Omit<GenerateQuery, 'view'>[] = [];
  for (let i = 0; i < warmup + requests; i++) {
    if (i === warmup) {
      gcObserver.observe({ entryTypes: ['gc'] });
      if (session) session.connect();
      if (session && options.profile) {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      if (session && options.heapProfile) {
        await session.post('HeapProfiler.enable');
        await session.post('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: false,
        });
      }
    }
    // Each call starts from the event loop, as a request reaches a server; without this the
    // whole loop ran as one task (see BENCHMARKS.md, "Where the time goes on the large world").
    await new Promise((resolve) => setImmediate(resolve));
    const old0 = oldGenerationBytes();
    const query = {
      userId: pickUser(),
      surface: commonv1.Surface.SURFACE_FOR_YOU,
      tag: undefined,
      maxCandidates,
      budgets: new Map(),
      exclude: new Set<string>(),
    };
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const response = await pipeline.generator.generate(
      { ...query, view: candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING },
      new AbortController().signal,
    );
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    if (i < warmup) continue;
    callSpans.push([t0, t0 + elapsed]);
    latencies.push(elapsed);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    candidateCounts.push(response.candidates.length);
    // Encoded as the server would (untimed: the gRPC figures hold it).
    const e0 = performance.now();
    const encoded = candidatesv1.GenerateResponse.encode(response).finish();
    encodeTimes.push(performance.now() - e0);
    responseKb.push(encoded.length / 1024);
    measuredQueries.push(query);
    oldGrowth += Math.max(0, oldGenerationBytes() - old0);
    for (const report of response.sources) {
      let entry = bySource.get(report.source);
      if (!entry) bySource.set(report.source, (entry = { ms: [], counts: [] }));
      entry.ms.push(report.elapsedMs);
      entry.counts.push(report.count);
    }
  }
  if (session && options.heapProfile) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await writeFile(options.heapProfile, JSON.stringify(profile));
  }
  if (session && options.profile) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(options.profile, JSON.stringify(profile));
  }
  session?.disconnect();
  // Entries are delivered by a later turn of the event loop (the calls never yield to it):
  // let them arrive.
  await new Promise((resolve) => setTimeout(resolve, 100));
  gcObserver.disconnect();
  // The same requests in the full view, apart from the timed loop: what the response held
  // before the views. Until 2026-11-27 each timed call was followed by its full view, which
  // doubled what the loop allocated, and so the collector's work beside the timed calls.
  for (const query of measuredQueries) {
    await new Promise((resolve) => setImmediate(resolve));
    const full = await pipeline.generator.generate(query, new AbortController().signal);
    const f0 = performance.now();
    const fullEncoded = candidatesv1.GenerateResponse.encode(full).finish();
    fullEncodeTimes.push(performance.now() - f0);
    fullResponseKb.push(fullEncoded.length / 1024);
  }
  const paused = callSpans.map(([start, end]) =>
    pauseSpans.some(([from, to]) => from < end && to > start),
  );
  const unpaused = <T>(values: readonly T[]) => values.filter((_, i) => !paused[i]);
  const grpc = options.grpc
    ? await benchGrpc(
        pipeline,
        store,
        warmup,
        requests,
        maxCandidates,
        pickUser,
        options.callerNodeFlags ?? [],
      )
    : undefined;
  const mean = (values: readonly number[]) =>
    values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  return {
    preset,
    node: {
      version: process.version,
      flags: [...process.execArgv],
      ...(grpc ? { callerFlags: grpc.callerFlags } : {}),
    },
    world: { events, posts: world.truth.parameters.posts, users: users.length },
    rebuild: {
      ms: Math.round(rebuildMs),
      eventsPerSecond: Math.round(events / (rebuildMs / 1000)),
      rejected,
      heapMb: Math.round(heapMb),
    },
    embeddings,
    state: { ...state },
    generate: { ...summarizeLatencies(latencies), meanCandidates: mean(candidateCounts) },
    ...(grpc
      ? {
          grpc: grpc.ranking,
          grpcFull: grpc.full,
          grpcFloor: grpc.floor,
          grpcBareFloor: grpc.bareFloor,
        }
      : {}),
    response: { kb: summarizeLatencies(responseKb), encodeMs: summarizeLatencies(encodeTimes) },
    responseFull: {
      kb: summarizeLatencies(fullResponseKb),
      encodeMs: summarizeLatencies(fullEncodeTimes),
    },
    cpu: summarizeLatencies(cpuTimes),
    gc: {
      scavenges: gcPauses.minor.length,
      scavengeMs: summarizeLatencies(gcPauses.minor),
      markCompacts: gcPauses.major.length,
      markCompactMs: summarizeLatencies(gcPauses.major),
      oldGrowthKbPerCall: Math.round(oldGrowth / 1024 / Math.max(1, requests)),
      callsWithPause: paused.filter(Boolean).length,
      generateWithoutPause: summarizeLatencies(unpaused(latencies)),
      cpuWithoutPause: summarizeLatencies(unpaused(cpuTimes)),
    },
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
    sources: Object.fromEntries(
      [...bySource].map(([name, { ms, counts }]) => [
        name,
        { ...summarizeLatencies(ms), meanCount: mean(counts) },
      ]),
    ),
    load: (await import('node:os')).loadavg(),
  };
}

async function benchGrpc(
  pipeline: ReturnType<typeof assembleCandidatePipeline>,
  store: InMemoryCandidateStore,
  warmup: number,
  requests: number,
  maxCandidates: number,
  pickUser: () => string,
  callerNodeFlags: readonly string[],
): Promise<{
  ranking: LatencySummary;
  full: LatencySummary;
  floor: LatencySummary;
  bareFloor: LatencySummary;
  /** The flags the caller's process reported it ran with. */
  callerFlags: string[];
}> {
  const userIds = Array.from({ length: warmup + requests }, pickUser);
  const canned = await pipeline.generator.generate(
    parseGenerateRequest(
      candidatesv1.GenerateRequest.fromPartial({
        userId: userIds[warmup] ?? userIds[0] ?? 'u1',
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        maxCandidates,
        view: candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      }),
      pipeline.generator.sourceNames,
    ),
    new AbortController().signal,
  );
  const floor = await startCannedServer('candidate-generation-floor', canned);
  const server = await startGrpcServer({
    ...BENCH_SERVER_OPTIONS,
    name: 'candidate-generation',
    services: [
      candidateGenerationService({
        generator: pipeline.generator,
        trending: pipeline.trending,
        store,
        defaultTrendingWindowMs: DEFAULT_SETTINGS.trending.defaultWindowMs,
        clock: () => NOW,
      }),
    ],
  });
  // The bare floor: the canned response from a process holding nothing else (default flags).
  const bareFloor = fork(fileURLToPath(new URL('./floor-server.process.js', import.meta.url)), {
    execArgv: [],
    serialization: 'advanced',
  });
  try {
    const bareFloorAddress = await new Promise<string>((resolve, reject) => {
      bareFloor.once('message', (message) => resolve((message as { address: string }).address));
      bareFloor.once('error', reject);
      bareFloor.once('exit', (code) => reject(new Error(`the bare floor exited with ${code}`)));
      bareFloor.send({ response: candidatesv1.GenerateResponse.encode(canned).finish() });
    });
    // The caller is its own process, as the gateway is: V8 flags are per process, so a worker
    // thread inherited this process's --max-semi-space-size=256, and under --trace-gc its
    // scavenges kept ~100 MB alive and took 150-390 ms each (load average 10): they were the
    // gRPC tail. It runs with the flags it is given (the CLI gives the gateway's).
    const caller = fork(fileURLToPath(new URL('./grpc-client.process.js', import.meta.url)), {
      execArgv: [...callerNodeFlags],
      serialization: 'advanced',
    });
    const latencies = await new Promise<CallerLatencies>((resolve, reject) => {
      caller.once('message', (message) => resolve(message as CallerLatencies));
      caller.once('error', reject);
      caller.once('exit', (code) => reject(new Error(`the gRPC caller exited with ${code}`)));
      caller.send({
        address: server.address,
        floorAddress: floor.address,
        bareFloorAddress,
        userIds,
        warmup,
        maxCandidates,
      });
    });
    caller.kill();
    return {
      ranking: summarizeLatencies(latencies.ranking),
      full: summarizeLatencies(latencies.full),
      floor: summarizeLatencies(latencies.floor),
      bareFloor: summarizeLatencies(latencies.bareFloor),
      callerFlags: latencies.execArgv,
    };
  } finally {
    bareFloor.removeAllListeners('exit');
    bareFloor.kill();
    await server.shutdown();
    await floor.shutdown();
  }
}

/** What the gRPC caller measured: each user asked of each, the order turning from user to user. */
interface CallerLatencies {
  readonly ranking: number[];
  readonly full: number[];
  readonly floor: number[];
  readonly bareFloor: number[];
  /** The caller process's own process.execArgv. */
  readonly execArgv: string[];
}

/** Bytes used by every heap space but the young generation's. */
function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space') {
      bytes += space.space_used_size;
    }
  }
  return bytes;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().heapUsed;
}
