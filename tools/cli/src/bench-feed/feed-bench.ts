import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gatewayv1, commonv1 } from '@feedmesh/contracts';
import { CONSUMER_GROUP as CANDIDATE_GENERATION_GROUP } from '@feedmesh/candidate-generation';
import { FEATURE_STORE_GROUP } from '@feedmesh/feature-store';
import { connectReachableRedis, deleteKeysUnder, freePorts } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import type { World, WorldPresetName } from '@feedmesh/world';
import { CommandFailedError } from '../cli-errors.js';
import type { Output } from '../cli-io.js';
import { buildWorld } from '../commands/world.command.js';
import { connectGateway, type GatewayClient } from '../gateway-client.js';
import { PLAYGROUND_SERVICES } from '@feedmesh/playground';
import {
  startProcessPlayground,
  whyCannotListen,
  type ProcessPlayground,
} from '../process-playground.js';
import { publishWorld, waitForConsumers } from '../world-loader.js';
import { startEchoProcess, type EchoProcess } from './echo-process.js';
import { FEED_DOWNSTREAM_CALLS } from './relay-echo.js';
import {
  candidateCounts,
  ratioOf,
  stageTimings,
  summarizeRun,
  type CandidateCounts,
  type RunSummary,
  type StageTiming,
} from './feed-bench-report.js';
import { runLoadInWorker, type LoadTarget } from './load-generator.js';
import type { LoadShape } from './load-loop.js';
import {
  processesNamed,
  serviceChildren,
  startCpuMeter,
  type WatchedProcess,
} from './process-cpu.js';
import { startSpanRecorder, type SpanRecorder } from './span-recorder.js';

export interface FeedBenchOptions {
  readonly redisUrl: string;
  /** Keys of this run; the loaded world is kept under it and reused by the next run. */
  readonly redisPrefix?: string;
  readonly world: WorldPresetName;
  readonly seed?: number;
  /** Closed-loop callers at each level. */
  readonly concurrency: readonly number[];
  /** Length of each level (and of the fixed-rate run), ms. */
  readonly durationMs: number;
  /** The open-loop run's rate, feeds/s; 0 skips it. */
  readonly fixedRatePerSecond?: number;
  /** Closed-loop load before measuring (JIT, connections, caches), ms. */
  readonly warmupMs?: number;
  readonly pageSize?: number;
  /** FEED_MAX_CANDIDATES: candidates asked of candidate-generation, and so scored, per feed. */
  readonly maxCandidates?: number;
  /**
   * Measure the bare echo RPC beside each level, and the hollow mesh: an echo that first makes
   * the feed's downstream calls to the echo, one after the other (relay-echo.ts).
   */
  readonly echo?: boolean;
  /** Share of traces the services export to the bench for stage timings (0 turns it off). */
  readonly traceSampleRatio?: number;
  /**
   * Where the gateway listens (default: a free port on 127.0.0.1): `--port`. The other services
   * take free ports, so a running playground or a port the kernel still holds is never in the
   * way.
   */
  readonly gatewayListen?: string;
  /** Publish the world even when the last run left it loaded under the prefix. */
  readonly reload?: boolean;
  /** Added to every service process's NODE_OPTIONS. */
  readonly serviceNodeOptions?: string;
  /**
   * Each service process (and the echo) writes a CPU profile of its whole run here, as
   * `<service>.cpuprofile`, with Node's own `--cpu-prof` (written on any orderly exit).
   */
  readonly cpuProfileDir?: string;
  /** The services' LOG_LEVEL (default error: a log line per degraded feed would be load too). */
  readonly serviceLogLevel?: string;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Where the services' output and progress bars go. */
  readonly output: Output;
  readonly signal?: AbortSignal;
}

export interface FeedBenchLevel {
  readonly concurrency: number;
  readonly feed: RunSummary & { readonly candidates: CandidateCounts };
  readonly echo: RunSummary | undefined;
  /**
   * The hollow mesh at this concurrency: the echo payload through a relay that passes each call
   * on to the echo FEED_DOWNSTREAM_CALLS times, as the gateway calls its services, doing no work.
   */
  readonly hollowMesh: RunSummary | undefined;
  /** feeds/s ÷ echo calls/s at this concurrency. */
  readonly ratio: number | undefined;
}

export interface FeedBenchReport {
  readonly machine: {
    readonly cpus: number;
    readonly loadAverageBefore: readonly number[];
    readonly loadAverageAfter: readonly number[];
  };
  readonly world: {
    readonly preset: WorldPresetName;
    readonly seed: number;
    readonly users: number;
    readonly posts: number;
    /** Events published by this run; 0 when the previous run's world was reused. */
    readonly publishedEvents: number;
  };
  readonly settings: {
    readonly durationMs: number;
    readonly pageSize: number;
    readonly maxCandidates: number;
    readonly traceSampleRatio: number;
    /** Encoded GetFeedResponse size (median of a sample): the echo payload. */
    readonly responseBytes: number;
  };
  readonly model: string;
  /** Events each consumer group had yet to apply when measuring began (GetFeed's are 0). */
  readonly backgroundLag: Readonly<Record<string, number>>;
  readonly levels: readonly FeedBenchLevel[];
  readonly fixedRate:
    | (RunSummary & { readonly targetPerSecond: number; readonly candidates: CandidateCounts })
    | undefined;
  /** The hollow mesh at the same fixed rate: its latency with the feed path's RPCs and no work. */
  readonly fixedRateHollowMesh: RunSummary | undefined;
  readonly peak: {
    readonly feedsPerSecond: number;
    readonly atConcurrency: number;
    readonly echoPerSecond: number | undefined;
    readonly ratio: number | undefined;
    /** The hollow mesh's best calls/s, and that ÷ the echo's best. */
    readonly hollowMeshPerSecond: number | undefined;
    readonly hollowMeshRatio: number | undefined;
    /** RPCs the hollow mesh makes per call: the one it answers and those it passes on. */
    readonly hollowMeshCalls: number;
  };
  readonly targets: {
    readonly p99At100PerSecond: {
      readonly targetMs: 50;
      readonly measuredMs: number | undefined;
      readonly met: boolean | undefined;
      /** The hollow mesh's p99 at the same rate: what the RPCs alone take, ms. */
      readonly boundMs: number | undefined;
    };
    readonly peakOverEcho: {
      readonly target: 0.25;
      readonly measured: number | undefined;
      readonly met: boolean | undefined;
      /**
       * The most any mesh making GetFeed's calls can reach here: the hollow mesh's peak ÷ the
       * echo's (peak.hollowMeshRatio). Below the target, no work in the services could meet it.
       */
      readonly bound: number | undefined;
    };
  };
  /** Span durations from the sampled traces of every feed run, slowest mean first. */
  readonly stages: readonly StageTiming[];
}

const WORLD_MARKER = 'bench-feed:world';
/** The consumer groups whose state GetFeed reads. */
const FEED_PATH_GROUPS = [FEATURE_STORE_GROUP, CANDIDATE_GENERATION_GROUP];
/** A reused world older than this has drifted too far from "now" for recency-based sources. */
const MAX_WORLD_AGE_MS = 6 * 3_600_000;

/**
 * `feedmesh bench feed`: the mesh as separate processes on Redis with a generated world,
 * trained once; closed-loop GetFeed at each concurrency beside the bare echo RPC with a payload
 * of the same size, then an open-loop run at a fixed rate. Returns a JSON-able report.
 */
export async function runFeedBench(options: FeedBenchOptions): Promise<FeedBenchReport> {
  const loadAverageBefore = loadavg().map((v) => Number(v.toFixed(2)));
  const seed = options.seed ?? 1;
  const prefix = options.redisPrefix ?? `feedmesh-bench-${options.world}-${seed}`;
  const pageSize = options.pageSize ?? 20;
  const maxCandidates = options.maxCandidates ?? 1_000;
  const sampleRatio = options.traceSampleRatio ?? 0.05;
  if (options.gatewayListen !== undefined) await assertCanListen(options.gatewayListen);
  const ports = await freePorts(PLAYGROUND_SERVICES.length);
  const servicePorts = Object.fromEntries(PLAYGROUND_SERVICES.map((name, i) => [name, ports[i]!]));
  const gatewayListen = options.gatewayListen ?? `127.0.0.1:${servicePorts['feed-gateway']}`;
  const { log } = options;

  const worldKey = `${options.world}:${seed}`;
  const reuse = !options.reload && (await worldLoaded(options.redisUrl, prefix, worldKey));
  if (!reuse) await deletePrefix(options.redisUrl, prefix);

  const recorder = sampleRatio > 0 ? await startSpanRecorder() : undefined;
  const env = serviceEnv(options, prefix, maxCandidates, sampleRatio, recorder);
  const logger = createLogger('bench-feed', { destination: options.output, level: 'warn' });
  log(`starting the mesh as processes on ${options.redisUrl} (prefix ${prefix})`);
  const playground = await startProcessPlayground({
    gatewayListen,
    ports: servicePorts,
    // On a kept world candidate generation replays the whole log before it listens: the
    // medium world's 975,000 events take it a minute or more on a busy machine.
    startTimeoutMs: 300_000,
    env,
    logger,
    output: options.output,
    nodeFlags: (service) => cpuProfileFlags(options.cpuProfileDir, service),
  });
  let echo: EchoProcess | undefined;
  let hollow: EchoProcess | undefined;
  const gateway = connectGateway(playground.gatewayAddress);
  // A service that dies mid-run ends it with its exit; its calls' errors would say less.
  try {
    return await playground.whileRunning(async (signal) => {
      if (options.echo !== false) {
        echo = await startEchoProcess(env, cpuProfileFlags(options.cpuProfileDir, 'echo'));
        hollow = await startEchoProcess(
          {
            ...env,
            ECHO_RELAY_TO: echo.address,
            ECHO_RELAY_CALLS: String(FEED_DOWNSTREAM_CALLS),
          },
          cpuProfileFlags(options.cpuProfileDir, 'hollow-mesh'),
        );
      }
      const world = buildWorld({ preset: options.world, seed });
      let publishedEvents = 0;
      if (reuse) {
        log(
          `reusing the ${worldKey} world loaded under ${prefix} by an earlier run (--reload publishes it again)`,
        );
      } else {
        publishedEvents = await publish(playground, gateway.client, world, options, signal);
        await markWorld(options.redisUrl, prefix, worldKey);
      }
      // GetFeed reads only these two; notification and search may still be catching up (their
      // CPU is reported with the rest), which on a busy two-core machine takes many minutes.
      await waitForConsumers(playground.runtime.eventLog, FEED_PATH_GROUPS, {
        stderr: options.output,
        signal,
      });
      log(`${FEED_PATH_GROUPS.join(' and ')} caught up`);
      const backgroundLag = await lagOf(playground);
      const report = await playground.train();
      log(
        `trained ${report.modelName}@${report.version ?? '-'}: ` +
          `${report.promoted ? 'promoted' : `not promoted (${report.reason})`}`,
      );
      const userIds = activeUsers(world, seed);
      const model = await waitForModel(
        gateway.client,
        userIds[0] ?? 'u1',
        report.promoted ? `${report.modelName}@${report.version}` : undefined,
      );
      log(`the ranker serves ${model || 'no model (heuristic)'}`);
      const responseBytes = await responseSize(gateway.client, userIds.slice(0, 25), pageSize);

      const feedTarget: LoadTarget = {
        kind: 'feed',
        address: playground.gatewayAddress,
        userIds,
        pageSize,
        token: process.env['FEEDMESH_TOKEN'] || undefined,
      };
      const echoTarget: LoadTarget | undefined = echo && {
        kind: 'echo',
        address: echo.address,
        payloadBytes: responseBytes,
      };
      const hollowTarget: LoadTarget | undefined = hollow && {
        kind: 'echo',
        address: hollow.address,
        payloadBytes: responseBytes,
      };
      const watched: WatchedProcess[] = [
        ...serviceChildren(),
        ...(echo ? [{ name: 'echo', pid: echo.pid }] : []),
        ...(hollow ? [{ name: 'hollow mesh (relay)', pid: hollow.pid }] : []),
        { name: 'bench (load, trainer)', pid: process.pid },
        ...processesNamed('redis-server'),
      ];
      const measure = async (target: LoadTarget, shape: LoadShape, durationMs: number) => {
        signal.throwIfAborted();
        const startedMs = Date.now();
        const meter = startCpuMeter(watched);
        const run = await runLoadInWorker({ target, shape, durationMs, deadlineMs: 5_000 });
        const cpu = meter.stop();
        return {
          summary: summarizeRun(run, cpu, loadavg()[0] ?? 0),
          window: [startedMs, Date.now()] as const,
        };
      };

      const warmupMs = options.warmupMs ?? 5_000;
      log(`warming up for ${warmupMs} ms; feed response ${responseBytes} bytes`);
      await measure(feedTarget, { kind: 'closed', concurrency: 4 }, warmupMs);
      for (const target of [echoTarget, hollowTarget]) {
        if (target)
          await measure(target, { kind: 'closed', concurrency: 4 }, Math.min(warmupMs, 2_000));
      }

      const feedWindows: (readonly [number, number])[] = [];
      const pending: {
        concurrency: number;
        feed: RunSummary;
        window: readonly [number, number];
        echo: RunSummary | undefined;
        hollowMesh: RunSummary | undefined;
      }[] = [];
      for (const concurrency of options.concurrency) {
        const feed = await measure(feedTarget, { kind: 'closed', concurrency }, options.durationMs);
        feedWindows.push(feed.window);
        log(
          `feed c=${concurrency}: ${feed.summary.callsPerSecond} feeds/s, p99 ${feed.summary.latency.p99Ms} ms, ${feed.summary.errors} errors`,
        );
        const echoRun = echoTarget
          ? (await measure(echoTarget, { kind: 'closed', concurrency }, options.durationMs)).summary
          : undefined;
        if (echoRun)
          log(
            `echo c=${concurrency}: ${echoRun.callsPerSecond} calls/s, p99 ${echoRun.latency.p99Ms} ms`,
          );
        const hollowRun = hollowTarget
          ? (await measure(hollowTarget, { kind: 'closed', concurrency }, options.durationMs))
              .summary
          : undefined;
        if (hollowRun)
          log(
            `hollow mesh c=${concurrency}: ${hollowRun.callsPerSecond} calls/s, p99 ${hollowRun.latency.p99Ms} ms`,
          );
        pending.push({
          concurrency,
          feed: feed.summary,
          window: feed.window,
          echo: echoRun,
          hollowMesh: hollowRun,
        });
      }

      const rate = options.fixedRatePerSecond ?? 100;
      const fixed =
        rate > 0
          ? await measure(
              feedTarget,
              { kind: 'open', ratePerSecond: rate, maxInFlight: 1_000 },
              options.durationMs,
            )
          : undefined;
      const fixedHollow =
        rate > 0 && hollowTarget
          ? (
              await measure(
                hollowTarget,
                { kind: 'open', ratePerSecond: rate, maxInFlight: 1_000 },
                options.durationMs,
              )
            ).summary
          : undefined;
      if (fixedHollow) {
        log(
          `hollow mesh at ${rate}/s: ${fixedHollow.callsPerSecond} calls/s, p99 ${fixedHollow.latency.p99Ms} ms`,
        );
      }
      if (fixed) {
        feedWindows.push(fixed.window);
        log(
          `feed at ${rate}/s: ${fixed.summary.callsPerSecond} feeds/s, p99 ${fixed.summary.latency.p99Ms} ms`,
        );
      }
      // The services export their sampled spans in batches: let the last batch arrive.
      if (recorder) await sleep(1_500);
      const spansIn = (window: readonly [number, number]) =>
        recorder?.spansBetween(window[0], window[1]) ?? [];

      const levels: FeedBenchLevel[] = pending.map((level) => ({
        concurrency: level.concurrency,
        feed: { ...level.feed, candidates: candidateCounts(spansIn(level.window)) },
        echo: level.echo,
        hollowMesh: level.hollowMesh,
        ratio: ratioOf(level.feed.callsPerSecond, level.echo?.callsPerSecond),
      }));
      const best = levels.reduce<FeedBenchLevel | undefined>(
        (top, level) =>
          top === undefined || level.feed.callsPerSecond > top.feed.callsPerSecond ? level : top,
        undefined,
      );
      const echoPeak = levels.some((l) => l.echo)
        ? Math.max(...levels.map((l) => l.echo?.callsPerSecond ?? 0))
        : undefined;
      const peakRatio = ratioOf(best?.feed.callsPerSecond ?? 0, echoPeak);
      const hollowPeak = levels.some((l) => l.hollowMesh)
        ? Math.max(...levels.map((l) => l.hollowMesh?.callsPerSecond ?? 0))
        : undefined;
      const hollowRatio = hollowPeak === undefined ? undefined : ratioOf(hollowPeak, echoPeak);
      const fixedP99 = fixed?.summary.latency.p99Ms;
      return {
        machine: {
          cpus: cpus().length,
          loadAverageBefore,
          loadAverageAfter: loadavg().map((v) => Number(v.toFixed(2))),
        },
        world: {
          preset: options.world,
          seed,
          users: world.truth.parameters.users,
          posts: world.truth.parameters.posts,
          publishedEvents,
        },
        settings: {
          durationMs: options.durationMs,
          pageSize,
          maxCandidates,
          traceSampleRatio: sampleRatio,
          responseBytes,
        },
        model,
        backgroundLag,
        levels,
        fixedRate: fixed && {
          ...fixed.summary,
          targetPerSecond: rate,
          candidates: candidateCounts(spansIn(fixed.window)),
        },
        fixedRateHollowMesh: fixedHollow,
        peak: {
          feedsPerSecond: best?.feed.callsPerSecond ?? 0,
          atConcurrency: best?.concurrency ?? 0,
          echoPerSecond: echoPeak,
          ratio: peakRatio,
          hollowMeshPerSecond: hollowPeak,
          hollowMeshRatio: hollowRatio,
          hollowMeshCalls: 1 + FEED_DOWNSTREAM_CALLS,
        },
        targets: {
          p99At100PerSecond: {
            targetMs: 50,
            measuredMs: fixedP99,
            met:
              fixed && rate === 100
                ? (fixedP99 ?? Infinity) <= 50 && fixed.summary.errors === 0
                : undefined,
            boundMs: rate === 100 ? fixedHollow?.latency.p99Ms : undefined,
          },
          peakOverEcho: {
            target: 0.25,
            measured: peakRatio,
            met: peakRatio === undefined ? undefined : peakRatio >= 0.25,
            bound: hollowRatio,
          },
        },
        stages: stageTimings(feedWindows.flatMap(spansIn)),
      };
    }, options.signal);
  } finally {
    gateway.close();
    await hollow?.stop();
    await echo?.stop();
    await playground.shutdown();
    await recorder?.close();
  }
}

/**
 * `--port` is taken or cannot be listened on: refused before anything starts. Otherwise the
 * gateway dies of EADDRINUSE after the readiness check met whatever holds the port, and the
 * benchmark talks to that.
 */
async function assertCanListen(address: string): Promise<void> {
  const problem = await whyCannotListen(address);
  if (problem === undefined) return;
  const port = address.slice(address.lastIndexOf(':') + 1);
  throw new CommandFailedError(
    `--port ${port}: the gateway cannot listen at ${address}: ${problem}`,
    'choose a free port, or leave --port out and the benchmark takes one',
  );
}

/** Node's `--cpu-prof` flags for one process, or none without a directory. */
function cpuProfileFlags(dir: string | undefined, name: string): string[] {
  if (dir === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`, `--cpu-prof-name=${name}.cpuprofile`];
}

function serviceEnv(
  options: FeedBenchOptions,
  prefix: string,
  maxCandidates: number,
  sampleRatio: number,
  recorder: SpanRecorder | undefined,
): Record<string, string | undefined> {
  const { GRPC_LISTEN: _ignored, ...inherited } = process.env;
  const nodeOptions = [inherited['NODE_OPTIONS'], options.serviceNodeOptions]
    .filter(Boolean)
    .join(' ');
  return {
    ...inherited,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: prefix,
    FEED_MAX_CANDIDATES: String(maxCandidates),
    LOG_LEVEL: options.serviceLogLevel ?? 'error',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    ...(recorder
      ? {
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: String(sampleRatio),
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_ENDPOINT: recorder.url,
          OTEL_BSP_SCHEDULE_DELAY: '500',
        }
      : {
          OTEL_TRACES_SAMPLER: 'always_off',
          OTEL_TRACES_EXPORTER: 'none',
          OTEL_METRICS_EXPORTER: 'none',
        }),
  };
}

/** `--redis`, checked to answer: one clear error when it does not, before anything starts. */
async function withRedis<T>(
  url: string,
  work: (redis: Awaited<ReturnType<typeof connectReachableRedis>>) => Promise<T>,
): Promise<T> {
  const redis = await connectReachableRedis(url, { source: '--redis' });
  try {
    return await work(redis);
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

async function worldLoaded(url: string, prefix: string, worldKey: string): Promise<boolean> {
  return withRedis(url, async (redis) => {
    const marker = await redis.get(`${prefix}:${WORLD_MARKER}`);
    if (marker === null) return false;
    const { world, loadedAtMs } = JSON.parse(marker) as { world: string; loadedAtMs: number };
    return world === worldKey && Date.now() - loadedAtMs < MAX_WORLD_AGE_MS;
  });
}

async function markWorld(url: string, prefix: string, worldKey: string): Promise<void> {
  await withRedis(url, (redis) =>
    redis.set(
      `${prefix}:${WORLD_MARKER}`,
      JSON.stringify({ world: worldKey, loadedAtMs: Date.now() }),
    ),
  );
}

/**
 * Starts from nothing: every key of an earlier, different or partial load goes, the event
 * log's hash-tagged streams, consumer groups and dead letters (`{prefix:...}`) included, or
 * the services would consume the old world's events beside the new one's.
 */
async function deletePrefix(url: string, prefix: string): Promise<void> {
  await withRedis(url, async (redis) => {
    await deleteKeysUnder(redis, prefix);
  });
}

async function publish(
  playground: ProcessPlayground,
  client: GatewayClient,
  world: World,
  options: FeedBenchOptions,
  signal: AbortSignal,
): Promise<number> {
  const summary = await publishWorld(client, world, {
    address: playground.gatewayAddress,
    batchSize: 1000,
    stderr: options.output,
    signal,
  });
  options.log(`published ${summary.published} events in ${summary.seconds.toFixed(1)} s`);
  await waitForConsumers(playground.runtime.eventLog, playground.consumerGroups, {
    stderr: options.output,
    signal,
  });
  options.log('every consumer caught up');
  return summary.published;
}

async function lagOf(playground: ProcessPlayground): Promise<Record<string, number>> {
  const lags = await Promise.all(
    playground.consumerGroups.map(async (group) => {
      const lag = await playground.runtime.eventLog.lag(group);
      return [group, lag.undelivered + lag.pending] as const;
    }),
  );
  return Object.fromEntries(lags);
}

/** Users who still open the app, in a seeded order: the load spreads over the world. */
export function activeUsers(world: World, seed: number): string[] {
  const ids = world.truth.users.filter((u) => u.lapsedAfterMs === undefined).map((u) => u.id);
  let state = seed >>> 0 || 1;
  for (let i = ids.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state % (i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids;
}

/** Waits until feeds are scored by `wanted` (or by any model when undefined); returns its name. */
async function waitForModel(
  client: GatewayClient,
  userId: string,
  wanted: string | undefined,
): Promise<string> {
  const deadline = Date.now() + 30_000;
  let model = '';
  while (Date.now() < deadline) {
    const page = await client.getFeed(feedRequest(userId, 1)).catch(() => undefined);
    model = page?.model ?? '';
    if (wanted === undefined ? model !== '' : model === wanted) return model;
    await sleep(200);
  }
  return model;
}

/** The median encoded size of a few real responses, bytes. */
async function responseSize(
  client: GatewayClient,
  userIds: readonly string[],
  pageSize: number,
): Promise<number> {
  const sizes: number[] = [];
  for (const userId of userIds) {
    const page = await client.getFeed(feedRequest(userId, pageSize));
    sizes.push(gatewayv1.GetFeedResponse.encode(page).finish().length);
  }
  sizes.sort((a, b) => a - b);
  return sizes[Math.floor(sizes.length / 2)] ?? 1_000;
}

function feedRequest(userId: string, pageSize: number): gatewayv1.GetFeedRequest {
  return { userId, surface: commonv1.Surface.SURFACE_DASHBOARD, tag: '', pageSize, cursor: '' };
}
