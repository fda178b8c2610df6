import { monitorEventLoopDelay } from 'node:perf_hooks';
import { feedmeshDescriptorSet, gatewayv1, notificationv1 } from '@feedmesh/contracts';
import { ID_PATTERN } from '@feedmesh/service-kit';
import { deleteKeys, testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { EventLogInspector } from '../support/event-log-inspector.js';
import { Mesh } from '../support/mesh.js';
import type { ServiceName } from '../support/mesh-processes.js';
import { loadSmallWorld } from '../support/world-loading.js';
import { readContracts, type MethodInfo } from './descriptors.js';
import { Random } from './random.js';
import { OPEN_STREAM, RawClient, UNDECODABLE, type CallResult } from './raw-client.js';
import { RequestGenerator, type GeneratorName } from './request-generator.js';
import { validRequests } from './seeds.js';
import { checkValidRequests, type CheckResult } from './valid-requests-check.js';
import { everyStageBudget } from '@feedmesh/feed-gateway';

export interface FuzzOptions {
  /** Inputs per RPC. Default 1,000. */
  readonly perRpc?: number;
  /** Calls in flight at once, over all RPCs. Default 32. */
  readonly concurrency?: number;
  /** Seed of every input: a run is reproducible, and each input alone (`fuzzInput`). Default 1. */
  readonly seed?: number;
  /**
   * Each call's deadline, ms: far above any answer's time (p99 is about 1 s on this busy
   * machine), so a call that reaches it hung. Default 10,000; huge inputs get 4 times that.
   */
  readonly callDeadlineMs?: number;
  /**
   * Inputs per RPC near the message size limit (just under it, just over it, in between);
   * they are the first `hugePerRpc` indexes. Default max(2, perRpc / 1,000).
   */
  readonly hugePerRpc?: number;
  /** How long a server stream that accepted its request is held open before hanging up, ms. */
  readonly streamHoldMs?: number;
  /** The services' GRPC_MAX_MESSAGE_BYTES. Default 16 MiB, the services' own default. */
  readonly maxMessageBytes?: number;
  /** Redis for the mesh; default REDIS_URL or the local one. Keys go under a unique prefix. */
  readonly redisUrl?: string;
  /** Progress lines (every ~10 s). */
  readonly log?: (line: string) => void;
}

/** Outcomes that say clearly what was wrong with a request (or that nothing was). */
export const CLEAR_OUTCOMES: ReadonlySet<string> = new Set([
  'OK',
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'OUT_OF_RANGE',
  'RESOURCE_EXHAUSTED',
  OPEN_STREAM,
]);

export interface RpcReport {
  /** `feed-gateway GetFeed` */
  readonly rpc: string;
  readonly path: string;
  readonly service: ServiceName;
  readonly calls: number;
  /** Calls by outcome: a status name, `open stream`, or `INTERNAL (undecodable request)`. */
  readonly outcomes: Record<string, number>;
  /** The same, per generator. */
  readonly byGenerator: Record<string, Record<string, number>>;
  readonly p50LatencyMs: number;
  readonly p99LatencyMs: number;
  readonly maxLatencyMs: number;
  /** Up to 3 inputs per outcome outside CLEAR_OUTCOMES (every DEADLINE_EXCEEDED), to reproduce them. */
  readonly samples: FuzzSample[];
  /** Every huge input: what it was and how it went. */
  readonly huge: FuzzSample[];
}

export interface FuzzSample {
  readonly outcome: string;
  readonly details: string;
  readonly generator: GeneratorName;
  /** `fuzzInput(seed, path, index)` makes the input again. */
  readonly index: number;
  readonly bytes: number;
  /** The input itself when at most 2 KiB. */
  readonly base64?: string;
  /** When the call started, ms after the run started: lines outcomes up with each other. */
  readonly atMs: number;
  readonly latencyMs: number;
}

export interface FuzzReport {
  readonly perRpc: number;
  readonly hugePerRpc: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly callDeadlineMs: number;
  readonly maxMessageBytes: number;
  readonly wallMs: number;
  readonly calls: number;
  /**
   * The fuzzer's own longest event-loop stall, ms. A call's deadline is kept by the caller's
   * timers: a stall here near the deadline would be counted against the services.
   */
  readonly fuzzerMaxStallMs: number;
  readonly rpcs: RpcReport[];
  /** Services that exited during the run, with how they ended: should be none. */
  readonly exited: string[];
  /** After the run, one valid request to every RPC. */
  readonly afterwards: CheckResult[];
  /** Events the fuzzed PublishEvents accepted that a consumer group then gave up on. */
  readonly deadLetters: Record<string, number>;
}

/** Where each contract service runs. */
const SERVICE_OF: Record<string, ServiceName> = {
  'feedmesh.gateway.v1.FeedGatewayService': 'feed-gateway',
  'feedmesh.candidates.v1.CandidateGenerationService': 'candidate-generation',
  'feedmesh.features.v1.FeatureStoreService': 'feature-store',
  'feedmesh.ranker.v1.RankerService': 'ranker',
  'feedmesh.search.v1.SearchService': 'search',
  'feedmesh.notification.v1.NotificationService': 'notification',
};

/**
 * Whether a server stream will accept the request (and stay open) rather than answer with an
 * error: decides only how long the fuzzer waits. A stream predicted to be refused must end
 * with a status before the deadline; one predicted accepted is held `streamHoldMs`.
 */
const STREAM_ACCEPTS: Record<string, (bytes: Uint8Array) => boolean> = {
  '/feedmesh.gateway.v1.FeedGatewayService/SubscribeNotifications': (bytes) =>
    ID_PATTERN.test(gatewayv1.SubscribeNotificationsRequest.decode(bytes).userId),
  '/feedmesh.notification.v1.NotificationService/Subscribe': (bytes) =>
    ID_PATTERN.test(notificationv1.SubscribeRequest.decode(bytes).userId),
};

/** The public RPCs of the mesh: every method of the contracts that a service serves. */
export function publicRpcs(): MethodInfo[] {
  return readContracts(feedmeshDescriptorSet()).methods.filter((m) => SERVICE_OF[m.service]);
}

/** Input `index` of `path` in a run with this seed: what the run sent, byte for byte. */
export function fuzzInput(
  options: { seed: number; hugePerRpc: number; maxMessageBytes: number },
  path: string,
  index: number,
): { generator: GeneratorName; bytes: Uint8Array } {
  const contracts = readContracts(feedmeshDescriptorSet());
  const method = contracts.methods.find((m) => m.path === path);
  if (method === undefined) throw new Error(`no method ${path}`);
  const generator = new RequestGenerator(contracts, options.maxMessageBytes);
  return inputFor(generator, method, options, index, validRequests()[path] ?? []);
}

/** Input `index` of `method`: huge for the first `hugePerRpc` indexes, ordinary after. */
function inputFor(
  generator: RequestGenerator,
  method: MethodInfo,
  run: { seed: number; hugePerRpc: number },
  index: number,
  seeds: readonly Uint8Array[],
): { generator: GeneratorName; bytes: Uint8Array } {
  const rng = Random.for(run.seed, streamOf(method.path), index);
  if (index < run.hugePerRpc) {
    return { generator: 'huge', bytes: generator.make(rng, 'huge', method.inputType, seeds) };
  }
  return generator.generate(rng, method.inputType, seeds);
}

/**
 * Fuzzes every public RPC of every service: starts the mesh as separate processes on Redis
 * (under a unique key prefix, deleted afterwards), loads the small world, sends `perRpc`
 * random and malformed inputs to each RPC, `concurrency` at a time, then checks that every
 * service still answers valid requests correctly. Stops the mesh before resolving.
 */
export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzReport> {
  const perRpc = options.perRpc ?? 1_000;
  const hugePerRpc = options.hugePerRpc ?? Math.max(2, Math.round(perRpc / 1_000));
  const seed = options.seed ?? 1;
  const concurrency = options.concurrency ?? 32;
  const callDeadlineMs = options.callDeadlineMs ?? 10_000;
  const streamHoldMs = options.streamHoldMs ?? 300;
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const log = options.log ?? (() => undefined);
  const prefix = uniquePrefix('fuzz');

  const contracts = readContracts(feedmeshDescriptorSet());
  const rpcs = contracts.methods.filter((m) => SERVICE_OF[m.service]);
  const generator = new RequestGenerator(contracts, maxMessageBytes);
  const seeds = validRequests();

  let mesh: Mesh | undefined;
  const clients = new Map<ServiceName, RawClient>();
  try {
    mesh = await Mesh.start({
      redisUrl,
      prefix,
      env: {
        GRPC_MAX_MESSAGE_BYTES: String(maxMessageBytes),
        // Generous, so the world loads on a busy machine; the fuzzing does not time feeds.
        FEED_DEADLINE_MS: '2000',
        ...everyStageBudget(1000),
      },
    });
    await loadSmallWorld(mesh.gateway);
    for (const service of new Set(Object.values(SERVICE_OF))) {
      clients.set(service, new RawClient(mesh.address(service)));
    }

    const stats = rpcs.map((method) => new RpcStats(method, SERVICE_OF[method.service]!));
    // Every (rpc, index) once, interleaved so each service sees all its RPCs at once.
    const tasks: [number, number][] = [];
    rpcs.forEach((_, r) => {
      for (let i = 0; i < perRpc; i++) tasks.push([r, i]);
    });
    const order = new Random(seed);
    for (let i = tasks.length - 1; i > 0; i--) {
      const j = order.int(i + 1);
      [tasks[i], tasks[j]] = [tasks[j]!, tasks[i]!];
    }

    const stalls = monitorEventLoopDelay({ resolution: 20 });
    stalls.enable();
    const started = Date.now();
    let next = 0;
    let done = 0;
    let lastLog = started;
    // Huge inputs one at a time: a few dozen 16 MiB messages at once would only measure memory.
    let hugeLock: Promise<void> = Promise.resolve();
    const worker = async () => {
      while (next < tasks.length) {
        const [r, index] = tasks[next++]!;
        const method = rpcs[r]!;
        const huge = index < hugePerRpc;
        let release: () => void = () => undefined;
        if (huge) {
          const previous = hugeLock;
          hugeLock = new Promise((resolve) => (release = resolve));
          await previous;
        }
        try {
          const input = inputFor(
            generator,
            method,
            { seed, hugePerRpc },
            index,
            seeds[method.path] ?? [],
          );
          const hold =
            method.serverStreaming && acceptsStream(method.path, input.bytes)
              ? streamHoldMs
              : undefined;
          const client = clients.get(SERVICE_OF[method.service]!)!;
          const atMs = Date.now() - started;
          const result = await client.call(
            method.path,
            method.serverStreaming,
            input.bytes,
            huge ? callDeadlineMs * 4 : callDeadlineMs,
            hold,
          );
          stats[r]!.record(result, input.generator, index, input.bytes, atMs);
        } finally {
          release();
        }
        done += 1;
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(
            `${done}/${tasks.length} calls, ${Math.round(done / ((lastLog - started) / 1000))}/s`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wallMs = Date.now() - started;
    stalls.disable();

    const exited = mesh.notRunning();
    const afterwards = exited.length === 0 ? await checkValidRequests(mesh) : [];
    const deadLetters = await countDeadLetters(redisUrl, prefix);
    return {
      perRpc,
      hugePerRpc,
      seed,
      concurrency,
      callDeadlineMs,
      maxMessageBytes,
      wallMs,
      calls: done,
      fuzzerMaxStallMs: Math.round(stalls.max / 1e6),
      rpcs: stats.map((s) => s.report()),
      exited,
      afterwards,
      deadLetters,
    };
  } finally {
    for (const client of clients.values()) client.close();
    await mesh?.stop();
    const redis = testRedis(prefix);
    await deleteKeys(redis, prefix).finally(() => redis.quit());
  }
}

function acceptsStream(path: string, bytes: Uint8Array): boolean {
  try {
    return STREAM_ACCEPTS[path]?.(bytes) ?? false;
  } catch {
    return false;
  }
}

/** Events accepted by the fuzzed PublishEvents and then dead-lettered, by group (best effort). */
async function countDeadLetters(redisUrl: string, prefix: string): Promise<Record<string, number>> {
  const inspector = new EventLogInspector(redisUrl, prefix);
  try {
    await inspector.waitUntilDrained(20_000).catch(() => undefined);
    const letters = await inspector.deadLetters();
    return Object.fromEntries(Object.entries(letters).map(([group, list]) => [group, list.length]));
  } finally {
    await inspector.close();
  }
}

/** A stable number per method path, so its inputs do not depend on the order of the others. */
function streamOf(path: string): number {
  let h = 2166136261;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 16777619) >>> 0;
  return h;
}

class RpcStats {
  private readonly outcomes: Record<string, number> = {};
  private readonly byGenerator: Record<string, Record<string, number>> = {};
  private readonly latencies: number[] = [];
  private readonly samples: FuzzSample[] = [];
  private readonly huge: FuzzSample[] = [];

  constructor(
    private readonly method: MethodInfo,
    private readonly service: ServiceName,
  ) {}

  record(
    result: CallResult,
    generator: GeneratorName,
    index: number,
    bytes: Uint8Array,
    atMs: number,
  ): void {
    const { outcome } = result;
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    const perGenerator = (this.byGenerator[generator] ??= {});
    perGenerator[outcome] = (perGenerator[outcome] ?? 0) + 1;
    // A held stream's time is the hold, not an answer.
    if (outcome !== OPEN_STREAM) this.latencies.push(result.latencyMs);
    const sample: FuzzSample = {
      outcome,
      details: result.details.slice(0, 300),
      generator,
      index,
      bytes: bytes.length,
      ...(bytes.length <= 2048 ? { base64: Buffer.from(bytes).toString('base64') } : {}),
      atMs,
      latencyMs: Math.round(result.latencyMs),
    };
    if (generator === 'huge') this.huge.push(sample);
    const kept = this.samples.filter((s) => s.outcome === outcome).length;
    const keep = outcome === 'DEADLINE_EXCEEDED' ? Infinity : outcome === UNDECODABLE ? 1 : 3;
    if (!CLEAR_OUTCOMES.has(outcome) && kept < keep) this.samples.push(sample);
  }

  report(): RpcReport {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return {
      rpc: `${this.service} ${this.method.name}`,
      path: this.method.path,
      service: this.service,
      calls: Object.values(this.outcomes).reduce((a, b) => a + b, 0),
      outcomes: this.outcomes,
      byGenerator: this.byGenerator,
      p50LatencyMs: at(0.5),
      p99LatencyMs: at(0.99),
      maxLatencyMs: Math.round(sorted[sorted.length - 1] ?? 0),
      samples: this.samples,
      huge: this.huge,
    };
  }
}
