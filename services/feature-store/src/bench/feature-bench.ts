import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { eventsv1 } from '@feedmesh/contracts';
import { waitUntilDrained } from '@feedmesh/events';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  connectReachableRedis,
  createRuntime,
  deleteKeysUnder,
  firstKeyUnder,
  loadConfig,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { createWorld, type World, type WorldPresetName } from '@feedmesh/world';
import type { Redis } from 'ioredis';
import {
  FEATURE_STORE_GROUP,
  FEATURE_STORE_NODE_FLAGS,
  featureStoreConfigShape,
} from '../config.js';
import { FeatureMaterializer } from '../event-materializer.js';
import type { StoreLimits } from '../feature-store.js';
import { InMemoryFeatureStore } from '../in-memory-feature-store.js';
import { RedisFeatureStore } from '../redis-feature-store.js';
import { FeatureKeys } from '../redis-keys.js';
import { assertSameSnapshot, snapshotOf, type Snapshot } from '../test-fixtures/snapshot.js';
import { seededRandom, summarize, type LatencySummary } from './latency.js';
import type { ReadPath, ReadRequest, ReadWorkerData } from './read-worker.js';

export interface FeatureBenchOptions {
  /** Default REDIS_URL, else redis://127.0.0.1:6379. A single Redis (the raw MGET is one command). */
  readonly redisUrl?: string;
  /** How an error names `redisUrl` (the CLI's `--redis`); default `redisUrl`. */
  readonly redisUrlSource?: string;
  /** The generated world loaded into the store. Default `medium` (100,000 posts), seed 1. */
  readonly preset?: WorldPresetName;
  readonly seed?: number;
  /** Overrides the preset's post count. */
  readonly posts?: number;
  /** Posts per GetFeatures request. Default 1,000. */
  readonly postsPerRequest?: number;
  /** Measured rounds (each times every path once, in rotating order). Default 1,000. */
  readonly requests?: number;
  /** Rounds before measuring (connections, JIT). Default 200. */
  readonly warmup?: number;
  /** Event log partitions. Default 8. */
  readonly partitions?: number;
  /** Events the consumer reads from a partition and applies at once. Default 2,000 (the service's). */
  readonly batchSize?: number;
  /** Leave the loaded keys in Redis (under `prefix`) instead of deleting them. */
  readonly keepData?: boolean;
  /** Key prefix; default a fresh `bench:fs:<random>`. */
  readonly prefix?: string;
  /**
   * After ingestion, compare what the service built with what the in-memory store builds from
   * the same world (its batches in log order): `VERIFY_USERS` random users' features with
   * `VERIFY_POSTS` random posts, their sets and interests. The run fails if they differ.
   */
  readonly verify?: boolean;
  /** Progress lines (to stderr in the script). */
  readonly log?: (line: string) => void;
}

/** Users and posts a verifying run compares (see `FeatureBenchOptions.verify`). */
export const VERIFY_USERS = 50;
export const VERIFY_POSTS = 300;

export interface FeatureBenchReport {
  readonly benchmark: 'features';
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly redis: string;
    /** 1-minute load average when the run started, after loading, and at the end. */
    readonly loadAverage: {
      readonly start: number;
      readonly afterIngestion: number;
      readonly end: number;
    };
  };
  readonly world: {
    readonly preset: WorldPresetName;
    readonly seed: number;
    readonly users: number;
    readonly blogs: number;
    readonly posts: number;
    readonly events: number;
  };
  /**
   * Events through the log into the store: appended to Redis Streams first, then consumed by
   * the feature store process (consumer group, batch mode) into the Redis store.
   */
  readonly ingestion: {
    readonly events: number;
    /** Appending them to the log beforehand (not part of the rate). */
    readonly appendSeconds: number;
    /** From starting the feature store process until the group had nothing left. */
    readonly seconds: number;
    readonly eventsPerSecond: number;
    readonly partitions: number;
    readonly batchSize: number;
  };
  /**
   * GetFeatures for `posts` random posts and a random user, from the benchmark to the feature
   * store's process, through the client feed-gateway uses (service-kit's client with its
   * middleware and 4 MiB HTTP/2 window, `packedFeatureStoreDefinition`'s decoder putting the
   * values straight into a Float32Array): request encoding, transport, the service, response
   * decoding. Each way of reading below runs in its own worker thread (its own heap and
   * collector).
   */
  readonly getFeatures: LatencySummary & { readonly posts: number };
  /**
   * The same call and client options with ts-proto's generated decoder (one number pushed per
   * value), for callers that use `FeatureStoreServiceDefinition`.
   */
  readonly getFeaturesGeneratedClient: LatencySummary;
  /**
   * The service's work without gRPC, in the benchmark: the store's reads, the feature matrix,
   * the response's encoding. GetFeatures minus this is what gRPC and the client's decoding cost.
   */
  readonly inProcess: LatencySummary;
  /** One MGET, from the benchmark, of every key that GetFeatures call reads. */
  readonly rawMget: LatencySummary & { readonly keys: number };
  /**
   * GetFeatures through feed-gateway's client to a server that does no work (floor-serve.ts:
   * service-kit's server, a canned response of the same shape and size): what gRPC between
   * two processes and the client's decoding cost on this machine alone. No GetFeatures can be
   * faster than this.
   */
  readonly transportFloor: LatencySummary;
  /** With `verify`: what was compared; the run fails before reporting if anything differed. */
  readonly verified?: { readonly users: number; readonly posts: number };
  /** GetFeatures (feed-gateway's client) over raw MGET, per percentile. */
  readonly ratio: { readonly p50: number; readonly p95: number; readonly p99: number };
  /** GetFeatures (generated client) over raw MGET. */
  readonly ratioGeneratedClient: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
  };
  readonly targets: {
    readonly getFeaturesP99Ms: 3;
    readonly ratioToRawMget: 2;
    readonly eventsPerSecond: 20_000;
    /** Judged on feed-gateway's client. */
    readonly met: {
      readonly getFeaturesP99: boolean;
      readonly ratioP99: boolean;
      readonly ingestion: boolean;
    };
  };
}

const silent = createLogger('feature-bench', { level: 'silent' });

/**
 * The feature store benchmark (`feedmesh bench features`): loads a generated world through
 * the event log into the Redis store with the feature store running as its own process
 * (reporting the ingestion rate), then times GetFeatures for a batch of posts through gRPC
 * against a raw MGET of the same keys, interleaved in one run so both see the same machine.
 * Needs a single Redis; deletes what it wrote unless `keepData`.
 */
export async function runFeatureBench(
  options: FeatureBenchOptions = {},
): Promise<FeatureBenchReport> {
  const log = options.log ?? (() => undefined);
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const preset = options.preset ?? 'medium';
  const seed = options.seed ?? 1;
  const postsPerRequest = options.postsPerRequest ?? 1_000;
  const requests = options.requests ?? 1_000;
  const warmup = options.warmup ?? 200;
  const partitions = options.partitions ?? 8;
  const batchSize = options.batchSize ?? 2_000;
  const prefix = options.prefix ?? `bench:fs:${randomBytes(4).toString('hex')}`;
  if (prefix === '') throw new InvalidArgumentError('prefix', 'must not be empty');
  const redisSource = options.redisUrlSource ?? 'redisUrl';
  const loadStart = loadavg()[0]!;

  const world = createWorld({
    preset,
    seed,
    now: Date.UTC(2025, 0, 1),
    ...(options.posts === undefined ? {} : { posts: options.posts }),
  });
  const { parameters } = world.truth;
  if (postsPerRequest > parameters.posts) {
    throw new InvalidArgumentError(
      'posts',
      `${postsPerRequest} per GetFeatures is more than the ${preset} world's ${parameters.posts} posts`,
    );
  }
  // A fresh default prefix needs no look; a named one may hold a deployment's data.
  if (options.prefix !== undefined) await assertPrefixUnused(redisUrl, redisSource, prefix);
  const env = {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    EVENT_PARTITIONS: String(partitions),
    CONSUMER_NAME: 'bench',
    GRPC_LISTEN: '127.0.0.1:0',
    FEATURE_STORE_BATCH_SIZE: String(batchSize),
  };
  const config = loadConfig(featureStoreConfigShape, env);
  // Before the runtime, whose client would retry in the background: one error, at once.
  const admin = await connectReachableRedis(redisUrl, { source: redisSource });
  const runtime = createRuntime(config, silent);
  let service: ChildProcess | undefined;
  let floor: ChildProcess | undefined;
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';
    log(`appending the ${preset} world (seed ${seed}) to the event log under ${prefix}`);
    const { events, appendSeconds, metas } = await appendWorld(runtime, world.events());
    log(`appended ${events} events in ${appendSeconds.toFixed(1)} s; starting the feature store`);

    const ingestStart = performance.now();
    const started = startService({ ...env, BENCH_CLOCK_MS: String(parameters.now) });
    service = started.child;
    const address = await started.address;
    const floorStarted = startService(
      {},
      fileURLToPath(new URL('./floor-serve.js', import.meta.url)),
    );
    floor = floorStarted.child;
    const floorAddress = await floorStarted.address;
    await waitUntilDrained(runtime.eventLog, FEATURE_STORE_GROUP, {
      progress: (remaining) => log(`  ${remaining} events to go`),
    });
    const seconds = (performance.now() - ingestStart) / 1000;
    const eventsPerSecond = Math.round(events / seconds);
    log(`ingested ${events} events in ${seconds.toFixed(1)} s: ${eventsPerSecond} events/s`);
    const afterIngestion = loadavg()[0]!;
    const verified = options.verify
      ? await verifyIngestion({
          world,
          redis: admin,
          prefix,
          limits: {
            setCap: config.FEATURE_STORE_LIST_CAP,
            interestCap: config.FEATURE_STORE_INTEREST_CAP,
          },
          seed,
          log,
        })
      : undefined;

    const latency = await measureReads({
      address,
      floorAddress,
      admin,
      redisUrl,
      prefix,
      keys: new FeatureKeys(prefix),
      metas,
      users: parameters.users,
      posts: parameters.posts,
      nowMs: parameters.now,
      postsPerRequest,
      requests,
      warmup,
      seed,
      log,
    });
    const getFeatures = { ...summarize(latency.getFeatures), posts: postsPerRequest };
    const getFeaturesGeneratedClient = summarize(latency.getFeaturesGeneratedClient);
    const inProcess = summarize(latency.inProcess);
    const rawMget = { ...summarize(latency.rawMget), keys: Math.round(latency.meanKeys) };
    const transportFloor = summarize(latency.transportFloor);
    const ratioOf = (call: LatencySummary) => ({
      p50: round3(call.p50 / rawMget.p50),
      p95: round3(call.p95 / rawMget.p95),
      p99: round3(call.p99 / rawMget.p99),
    });
    const ratio = ratioOf(getFeatures);
    return {
      benchmark: 'features',
      machine: {
        cpus: cpus().length,
        node: process.version,
        redis: redisVersion,
        loadAverage: { start: loadStart, afterIngestion, end: loadavg()[0]! },
      },
      world: {
        preset,
        seed,
        users: parameters.users,
        blogs: parameters.blogs,
        posts: parameters.posts,
        events,
      },
      ingestion: {
        events,
        appendSeconds,
        seconds: round3(seconds),
        eventsPerSecond,
        partitions,
        batchSize,
      },
      getFeatures,
      getFeaturesGeneratedClient,
      inProcess,
      rawMget,
      transportFloor,
      ...(verified === undefined ? {} : { verified }),
      ratio,
      ratioGeneratedClient: ratioOf(getFeaturesGeneratedClient),
      targets: {
        getFeaturesP99Ms: 3,
        ratioToRawMget: 2,
        eventsPerSecond: 20_000,
        met: {
          getFeaturesP99: getFeatures.p99 <= 3,
          ratioP99: ratio.p99 <= 2,
          ingestion: eventsPerSecond >= 20_000,
        },
      },
    };
  } finally {
    if (service !== undefined && service.exitCode === null) await stopService(service);
    if (floor !== undefined && floor.exitCode === null) await stopService(floor);
    await runtime.close();
    if (!options.keepData) {
      log(`deleting the keys under ${prefix}`);
      await deleteKeysUnder(admin, prefix);
    }
    await admin.quit();
  }
}

/**
 * The service's state after ingestion against the in-memory store's from the same events: the
 * features, sets and interests of random users with random posts, at the world's present.
 */
async function verifyIngestion(run: {
  readonly world: World;
  readonly redis: Redis;
  readonly prefix: string;
  readonly limits: StoreLimits;
  readonly seed: number;
  readonly log: (line: string) => void;
}): Promise<{ users: number; posts: number }> {
  const { users, posts, now } = run.world.truth.parameters;
  run.log(`verifying: the same world into the in-memory store`);
  const memory = new InMemoryFeatureStore(run.limits);
  const materializer = new FeatureMaterializer(memory);
  let batch: eventsv1.Event[] = [];
  for (const event of run.world.events()) {
    batch.push(event);
    if (batch.length === 2_000) {
      await materializer.applyBatch(batch);
      batch = [];
    }
  }
  await materializer.applyBatch(batch);
  const random = seededRandom(run.seed + 1);
  const userIds = [
    ...new Set(Array.from({ length: VERIFY_USERS }, () => `u${1 + Math.floor(random() * users)}`)),
  ];
  const postIds = [
    ...new Set(Array.from({ length: VERIFY_POSTS }, () => `p${1 + Math.floor(random() * posts)}`)),
  ];
  const store = new RedisFeatureStore({ redis: run.redis, prefix: run.prefix, ...run.limits });
  const served = await snapshotOf(store, userIds, postIds, now);
  const expected = await snapshotOf(memory, userIds, postIds, now);
  for (const userId of userIds) {
    const one = (snapshot: Snapshot): Snapshot => ({
      users: { [userId]: snapshot.users[userId]! },
    });
    try {
      assertSameSnapshot(one(served), one(expected));
    } catch {
      throw new Error(
        `the service's state for ${userId} differs from what the in-memory store built from the same events`,
      );
    }
  }
  run.log(
    `verified: ${userIds.length} users with ${postIds.length} posts as the in-memory store has them`,
  );
  return { users: userIds.length, posts: postIds.length };
}

/**
 * The feature store as its own process (serve.js), or the transport floor (floor-serve.js);
 * resolves with its address.
 */
function startService(
  env: Record<string, string>,
  script = fileURLToPath(new URL('./serve.js', import.meta.url)),
): {
  child: ChildProcess;
  address: Promise<string>;
} {
  const child = spawn(process.execPath, [...FEATURE_STORE_NODE_FLAGS, script], {
    env: { ...process.env, ...env, OTEL_SDK_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = (async () => {
    for await (const line of createInterface({ input: child.stdout! })) {
      const parsed = JSON.parse(line) as { address?: string };
      if (parsed.address !== undefined) return parsed.address;
    }
    throw new Error(`the feature store process exited (${child.exitCode}) before serving`);
  })();
  return { child, address };
}

/** SIGTERM (the service drains), then SIGKILL if it has not exited within 15 s. */
async function stopService(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

interface PostJoin {
  readonly blogId: string;
  readonly tags: readonly string[];
}

/** Appends the world in chunks, remembering each post's blog and tags for the raw MGET. */
async function appendWorld(
  runtime: Runtime,
  events: Iterable<eventsv1.Event>,
): Promise<{ events: number; appendSeconds: number; metas: Map<string, PostJoin> }> {
  const metas = new Map<string, PostJoin>();
  const start = performance.now();
  let count = 0;
  let chunk: eventsv1.Event[] = [];
  for (const event of events) {
    if (event.payload?.$case === 'postCreated') {
      const { postId, blogId, tags } = event.payload.value;
      if (!metas.has(postId)) {
        metas.set(postId, { blogId, tags: [...new Set(tags.filter((tag) => tag !== ''))] });
      }
    }
    chunk.push(event);
    if (chunk.length === 5_000) {
      await runtime.eventLog.append(chunk);
      count += chunk.length;
      chunk = [];
    }
  }
  await runtime.eventLog.append(chunk);
  count += chunk.length;
  return { events: count, appendSeconds: round3((performance.now() - start) / 1000), metas };
}

interface ReadRun {
  readonly address: string;
  readonly floorAddress: string;
  readonly admin: Redis;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly keys: FeatureKeys;
  readonly metas: ReadonlyMap<string, PostJoin>;
  readonly users: number;
  readonly posts: number;
  readonly nowMs: number;
  readonly postsPerRequest: number;
  readonly requests: number;
  readonly warmup: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/**
 * Each round: one random user and `postsPerRequest` distinct random posts, read five ways in
 * rotating order (so none always runs first): GetFeatures through feed-gateway's client (the
 * packed decoder) and through the generated client, the service's work in process, one MGET
 * of the keys that work reads (the posts, the user, the posts' blogs, the user's state with
 * those blogs and tags), and GetFeatures from the transport floor (a server that does no
 * work). Each way runs in its own worker thread, so none pays for another's garbage.
 */
async function measureReads(run: ReadRun): Promise<{
  getFeatures: number[];
  getFeaturesGeneratedClient: number[];
  rawMget: number[];
  inProcess: number[];
  transportFloor: number[];
  meanKeys: number;
}> {
  const random = seededRandom(run.seed);
  const paths: ReadPath[] = [
    'getFeatures',
    'getFeaturesGeneratedClient',
    'rawMget',
    'inProcess',
    'transportFloor',
  ];
  const workers = await Promise.all(
    paths.map((path) =>
      ReadWorker.start({
        path,
        address: path === 'transportFloor' ? run.floorAddress : run.address,
        redisUrl: run.redisUrl,
        prefix: run.prefix,
        nowMs: run.nowMs,
        posts: run.posts,
      }),
    ),
  );
  // Ids and keys made once: the rounds should spend their time on what they measure.
  const postIds = Array.from({ length: run.posts }, (_, i) => `p${i + 1}`);
  const postKeys = postIds.map((postId) => run.keys.post(postId));
  const joins = postIds.map((postId) => run.metas.get(postId));
  const blogKeys = new Map<string, string>();
  for (const join of joins) {
    if (join !== undefined && !blogKeys.has(join.blogId)) {
      blogKeys.set(join.blogId, run.keys.blog(join.blogId));
    }
  }
  const samples: Record<ReadPath, number[]> = {
    getFeatures: [],
    getFeaturesGeneratedClient: [],
    rawMget: [],
    inProcess: [],
    transportFloor: [],
  };
  let keyCount = 0;
  try {
    run.log(`timing ${run.warmup} + ${run.requests} rounds of ${run.postsPerRequest} posts`);
    for (let round = 0; round < run.warmup + run.requests; round++) {
      const userId = `u${1 + Math.floor(random() * run.users)}`;
      const chosen = new Set<number>();
      while (chosen.size < Math.min(run.postsPerRequest, run.posts)) {
        chosen.add(Math.floor(random() * run.posts));
      }
      const picked = [...chosen];
      const request: ReadRequest = {
        userId,
        postIds: picked.map((i) => postIds[i]!),
        keys: keysRead(run.keys, userId, picked, postKeys, joins, blogKeys),
      };
      for (let step = 0; step < workers.length; step++) {
        const index = (round + step) % workers.length;
        const ms = await workers[index]!.read(request);
        if (round >= run.warmup) samples[paths[index]!].push(ms);
      }
      if (round >= run.warmup) keyCount += request.keys.length;
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }
  return { ...samples, meanKeys: keyCount / Math.max(1, run.requests) };
}

/** A read path in its worker thread: one request at a time, answered with its latency. */
class ReadWorker {
  private pending: { resolve: (ms: number) => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: { ms?: number; error?: string }) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else if (message.ms !== undefined) pending?.resolve(message.ms);
    });
    worker.on('error', (error) => this.pending?.reject(error));
  }

  static async start(data: ReadWorkerData): Promise<ReadWorker> {
    const worker = new Worker(new URL('./read-worker.js', import.meta.url), { workerData: data });
    const [message] = (await once(worker, 'message')) as [{ ready?: boolean; error?: string }];
    if (!message.ready) throw new Error(`the ${data.path} worker failed: ${message.error}`);
    return new ReadWorker(worker);
  }

  read(request: ReadRequest): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    const exited = once(this.worker, 'exit');
    this.worker.postMessage('close');
    const timer = setTimeout(() => void this.worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function keysRead(
  keys: FeatureKeys,
  userId: string,
  picked: readonly number[],
  postKeys: readonly string[],
  joins: readonly (PostJoin | undefined)[],
  blogKeys: ReadonlyMap<string, string>,
): string[] {
  const blogs = new Set<string>();
  const tags = new Set<string>();
  const read = [keys.user(userId)];
  for (const i of picked) {
    read.push(postKeys[i]!);
    const join = joins[i];
    if (join === undefined) continue;
    blogs.add(join.blogId);
    for (const tag of join.tags) tags.add(tag);
  }
  for (const blogId of blogs) read.push(blogKeys.get(blogId)!, keys.userBlog(userId, blogId));
  for (const tag of tags) read.push(keys.userTagState(userId, tag));
  return read;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The run appends a world to the prefix's event log and deletes everything under the prefix
 * afterwards: on a prefix that holds data it would double a world, or delete a deployment's.
 */
async function assertPrefixUnused(url: string, source: string, prefix: string): Promise<void> {
  const redis = await connectReachableRedis(url, { source });
  try {
    const key = await firstKeyUnder(redis, prefix);
    if (key !== undefined) {
      throw new InvalidArgumentError(
        'prefix',
        `${prefix} already holds keys (${key}); the benchmark needs a prefix of its own, ` +
          'which it deletes afterwards',
      );
    }
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
