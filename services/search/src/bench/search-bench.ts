import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { eventsv1, searchv1 } from '@feedmesh/contracts';
import { createRuntime, createServiceClient, loadConfig, type Logger } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { createWorld, TOPICS } from '@feedmesh/world';
import { readIndexSnapshot, SearchIndex, writeIndexSnapshot } from '../engine/index.js';
import { PostIndexer } from '../post-indexer.js';
import { planSearch } from '../search-request.js';
import { searchConfigShape, startSearch } from '../start-search.js';

export interface SearchBenchOptions {
  /** Posts of the generated world (libs/world, `medium` preset sizes). Default 100,000. */
  readonly posts?: number;
  /** Queries timed per engine (after as many again to warm up). Default 2,000. */
  readonly queries?: number;
  /** World and query-mix seed. Default 1. */
  readonly seed?: number;
  /** Also time the service through gRPC. Default true. */
  readonly grpc?: boolean;
  /** Also run MiniSearch on the same corpus and queries. Default true. */
  readonly minisearch?: boolean;
  /** Requests in flight for the gRPC throughput run. Default 4. */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

export interface LatencyReport {
  readonly queries: number;
  readonly queriesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Mean hits per query (total_hits), so engines can be compared on the same work. */
  readonly meanTotalHits: number;
}

export interface SnapshotReport {
  readonly bytes: number;
  readonly writeMs: number;
  /** The longest the event loop stood still while writing (the synchronous capture). */
  readonly longestStallMs: number;
  readonly readMs: number;
}

export interface EngineReport {
  readonly indexMs: number;
  readonly indexPostsPerSecond: number;
  /**
   * Heap + array buffers the index holds after a full GC, its query buffers included
   * (undefined where GC cannot be forced).
   */
  readonly memoryBytes: number | undefined;
  readonly bytesPerPost: number | undefined;
  readonly search: LatencyReport;
}

export interface SearchBenchReport {
  readonly posts: number;
  readonly blogs: number;
  readonly queryMix: Readonly<Record<string, number>>;
  readonly feedmesh: EngineReport;
  /** Writing the engine's index to a snapshot file and reading it back. */
  readonly snapshot: SnapshotReport;
  readonly minisearch?: EngineReport;
  readonly grpc?: {
    /** Start (replay of the log into the index) until the server listens. */
    readonly startMs: number;
    /** One request at a time: the latency a caller sees. */
    readonly sequential: LatencyReport;
    /** `concurrency` requests in flight: throughput. */
    readonly concurrent: LatencyReport & { readonly concurrency: number };
  };
  readonly suggest: { readonly p50Ms: number; readonly p99Ms: number };
  readonly node: string;
  readonly loadAverage: readonly number[];
}

interface BenchQuery {
  readonly kind: string;
  readonly request: searchv1.SearchRequest;
  /** For MiniSearch: the words (phrases as words), the tag and blog-name filters. */
  readonly words: string;
  readonly tags: readonly string[];
  readonly blog: string | undefined;
}

const FIXED_NOW = Date.UTC(2025, 0, 1);

/**
 * The search benchmark: indexes a generated world's posts in the engine and in MiniSearch,
 * runs one query mix against both in-process and against the service through gRPC, and
 * reports index time, memory, queries/s and latency percentiles. Numbers only: it asserts
 * nothing. Run it on a quiet machine; `loadAverage` says how quiet it was.
 */
export async function runSearchBench(options: SearchBenchOptions = {}): Promise<SearchBenchReport> {
  const postCount = options.posts ?? 100_000;
  const queryCount = options.queries ?? 2_000;
  const seed = options.seed ?? 1;
  const logger = options.logger ?? createLogger('search-bench', { level: 'silent' });
  const gc = exposeGc();

  // Kept encoded, as the log holds them: each engine decodes its own copy, so the strings an
  // index keeps count in its memory, not in the benchmark's.
  const encoded: Uint8Array[] = [];
  let blogs = 0;
  const blogNames: string[] = [];
  const world = createWorld({ preset: 'medium', posts: postCount, seed, now: FIXED_NOW });
  for (const event of world.events()) {
    const payload = event.payload;
    if (payload?.$case === 'postCreated' || payload?.$case === 'blogCreated') {
      encoded.push(eventsv1.Event.encode(event).finish());
    }
    if (payload?.$case === 'blogCreated') {
      blogs += 1;
      blogNames.push(payload.value.name);
    }
  }
  const events = (): eventsv1.Event[] => encoded.map((bytes) => eventsv1.Event.decode(bytes));
  const queries = queryMix(queryCount * 2, seed, blogNames);

  const feedmesh = await benchEngine(gc, queryCount, queries, events);
  const suggest = benchSuggest(feedmesh.index, queries);
  const snapshot = await benchSnapshot(feedmesh.index);
  const minisearch =
    options.minisearch === false
      ? undefined
      : await benchMiniSearch(gc, queryCount, queries, events);
  const grpc =
    options.grpc === false
      ? undefined
      : await benchGrpc(events(), queries, queryCount, options.concurrency ?? 4, logger);

  const mix: Record<string, number> = {};
  for (const query of queries.slice(queryCount)) mix[query.kind] = (mix[query.kind] ?? 0) + 1;
  return {
    posts: postCount,
    blogs,
    queryMix: mix,
    feedmesh: feedmesh.report,
    snapshot,
    ...(minisearch === undefined ? {} : { minisearch }),
    ...(grpc === undefined ? {} : { grpc }),
    suggest,
    node: process.version,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

async function benchEngine(
  gc: (() => void) | undefined,
  timed: number,
  queries: readonly BenchQuery[],
  events: () => eventsv1.Event[],
): Promise<{ index: SearchIndex; report: EngineReport }> {
  // Decoded after the first reading and dropped before the second: the strings the index
  // keeps of the events count as its memory, the rest does not.
  const before = heapBytes(gc);
  const decoded = events();
  const index = new SearchIndex();
  const indexer = new PostIndexer(index);
  const started = performance.now();
  for (const event of decoded) indexer.apply(event);
  const indexMs = performance.now() - started;
  decoded.length = 0;
  const plans = queries.map((query) => planSearch(query.request, index.analyzer));
  const search = time(timed, plans.length, (i) => {
    const plan = plans[i];
    if (plan === undefined) return 0;
    return index.search(plan.query, { offset: 0, limit: plan.pageSize }).totalHits;
  });
  // Measured after the queries, so the per-document query scratch counts too.
  plans.length = 0;
  const memory = before === undefined ? undefined : (heapBytes(gc) ?? 0) - before;
  const posts = index.stats().documents;
  return {
    index,
    report: {
      indexMs: round(indexMs),
      indexPostsPerSecond: Math.round(posts / (indexMs / 1000)),
      memoryBytes: memory,
      bytesPerPost: memory === undefined ? undefined : Math.round(memory / posts),
      search,
    },
  };
}

async function benchMiniSearch(
  gc: (() => void) | undefined,
  timed: number,
  queries: readonly BenchQuery[],
  events: () => eventsv1.Event[],
): Promise<EngineReport> {
  // A dev dependency, loaded only when asked for: the service itself never needs it.
  const { default: MiniSearch } = await import('minisearch');
  interface Doc {
    id: string;
    text: string;
    tags: string;
    blog: string;
    tagList: string[];
  }
  const before = heapBytes(gc);
  const decoded = events();
  const names = new Map<string, string>();
  for (const event of decoded) {
    if (event.payload?.$case === 'blogCreated') {
      names.set(event.payload.value.blogId, event.payload.value.name);
    }
  }
  const started = performance.now();
  const engine = new MiniSearch<Doc>({
    fields: ['text', 'tags', 'blog'],
    storeFields: ['tagList', 'blog'],
    searchOptions: { boost: { tags: 2, blog: 1.5 } },
  });
  let posts = 0;
  for (const event of decoded) {
    if (event.payload?.$case !== 'postCreated') continue;
    const post = event.payload.value;
    engine.add({
      id: post.postId,
      text: post.text,
      tags: post.tags.join(' '),
      blog: names.get(post.blogId) ?? '',
      tagList: post.tags.map((tag) => tag.toLowerCase()),
    });
    posts += 1;
  }
  const indexMs = performance.now() - started;
  decoded.length = 0;
  names.clear();
  const search = time(timed, queries.length, (i) => {
    const query = queries[i];
    if (query === undefined) return 0;
    const filtered = query.tags.length > 0 || query.blog !== undefined;
    const results = engine.search(query.words, {
      ...(filtered
        ? {
            filter: (result) =>
              query.tags.every((tag) => (result['tagList'] as string[]).includes(tag)) &&
              (query.blog === undefined || result['blog'] === query.blog),
          }
        : {}),
    });
    // What a page of 10 costs: MiniSearch ranks every match, the page is its first 10.
    results.slice(0, 10);
    return results.length;
  });
  const memory = before === undefined ? undefined : (heapBytes(gc) ?? 0) - before;
  return {
    indexMs: round(indexMs),
    indexPostsPerSecond: Math.round(posts / (indexMs / 1000)),
    memoryBytes: memory,
    bytesPerPost: memory === undefined ? undefined : Math.round(memory / posts),
    search,
  };
}

async function benchGrpc(
  events: readonly eventsv1.Event[],
  queries: readonly BenchQuery[],
  timed: number,
  concurrency: number,
  logger: Logger,
): Promise<NonNullable<SearchBenchReport['grpc']>> {
  const runtime = createRuntime(
    {
      REDIS_URL: undefined,
      REDIS_CLUSTER: false,
      REDIS_PREFIX: 'bench',
      EVENT_PARTITIONS: 8,
      CONSUMER_NAME: 'search-bench',
    },
    logger,
  );
  await runtime.eventLog.append(events);
  const config = loadConfig(searchConfigShape, { GRPC_LISTEN: '127.0.0.1:0' });
  const started = performance.now();
  const server = await startSearch({ config, runtime, logger });
  const startMs = performance.now() - started;
  const handle = createServiceClient(searchv1.SearchServiceDefinition, server.address, {
    deadlineMs: 10_000,
  });
  try {
    const call = async (i: number) =>
      Number((await handle.client.search(queries[i]?.request ?? request('x'))).totalHits);
    for (let i = 0; i < timed; i += 1) await call(i);
    const sequential = await timeAsync(timed, queries.length, call, 1);
    const concurrent = await timeAsync(timed, queries.length, call, concurrency);
    return { startMs: round(startMs), sequential, concurrent: { ...concurrent, concurrency } };
  } finally {
    handle.close();
    await server.shutdown();
    await runtime.close();
  }
}

async function benchSnapshot(index: SearchIndex): Promise<SnapshotReport> {
  const dir = await mkdtemp(join(tmpdir(), 'search-bench-'));
  try {
    const path = join(dir, 'index.snapshot');
    let longestStallMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - last);
      last = now;
    }, 1);
    let started = performance.now();
    const { bytes } = await writeIndexSnapshot(path, index, { slot: 0 });
    const writeMs = performance.now() - started;
    clearInterval(ticker);
    started = performance.now();
    await readIndexSnapshot(path);
    const readMs = performance.now() - started;
    return {
      bytes,
      writeMs: round(writeMs),
      longestStallMs: round(longestStallMs),
      readMs: round(readMs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function benchSuggest(index: SearchIndex, queries: readonly BenchQuery[]) {
  const latencies: number[] = [];
  for (const query of queries.slice(0, 2_000)) {
    const prefix = query.words.slice(0, 1 + (query.words.length % 4));
    const started = performance.now();
    index.suggestTags(prefix, 10);
    index.suggestBlogs(prefix, 10);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(latencies, 0.5), 4),
    p99Ms: round(percentile(latencies, 0.99), 4),
  };
}

/**
 * The query mix, deterministic in `seed`: words of the world's topics (what its posts are
 * made of), one to three of them, some quoted, some with a #tag or blog: filter, some newest
 * first.
 */
function queryMix(count: number, seed: number, blogNames: readonly string[]): BenchQuery[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: the same mix for the same seed, on any machine.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const topic = () => pick(TOPICS);
  const out: BenchQuery[] = [];
  for (let i = 0; i < count; i += 1) {
    const roll = random();
    const t = topic();
    let kind: string;
    let text: string;
    let words: string;
    const tags: string[] = [];
    let blog: string | undefined;
    let order = searchv1.SearchOrder.SEARCH_ORDER_RELEVANCE;
    if (roll < 0.35) {
      kind = 'one word';
      text = words = pick(t.words);
    } else if (roll < 0.6) {
      kind = 'two words, one topic';
      text = words = `${pick(t.words)} ${pick(t.words)}`;
    } else if (roll < 0.7) {
      kind = 'words of two topics';
      text = words = `${pick(t.words)} ${pick(topic().words)} ${pick(t.words)}`;
    } else if (roll < 0.8) {
      kind = 'phrase';
      const multi = t.words.filter((word) => word.includes(' '));
      const phrase = multi.length > 0 ? pick(multi) : `${pick(t.words)} ${pick(t.words)}`;
      text = `"${phrase}"`;
      words = phrase;
    } else if (roll < 0.88) {
      kind = '#tag filter';
      const tag = pick(t.tags);
      tags.push(tag);
      words = pick(t.words);
      text = `${words} #${tag}`;
    } else if (roll < 0.93) {
      kind = 'blog: filter';
      blog = pick(blogNames);
      words = pick(t.words);
      text = `${words} blog:${blog}`;
    } else {
      kind = 'newest first';
      text = words = pick(t.words);
      order = searchv1.SearchOrder.SEARCH_ORDER_RECENCY;
    }
    out.push({ kind, request: request(text, order), words, tags, blog });
  }
  return out;
}

function request(query: string, order = searchv1.SearchOrder.SEARCH_ORDER_RELEVANCE) {
  return { query, tags: [], blogId: '', order, pageSize: 10, cursor: '' };
}

/** Runs queries [0, timed) to warm up, then times [timed, total). */
function time(timed: number, total: number, run: (i: number) => number): LatencyReport {
  for (let i = 0; i < Math.min(timed, total); i += 1) run(i);
  const latencies: number[] = [];
  let hits = 0;
  const started = performance.now();
  for (let i = timed; i < total; i += 1) {
    const t = performance.now();
    hits += run(i);
    latencies.push(performance.now() - t);
  }
  return summarize(latencies, performance.now() - started, hits);
}

async function timeAsync(
  timed: number,
  total: number,
  run: (i: number) => Promise<number>,
  concurrency: number,
): Promise<LatencyReport> {
  const latencies: number[] = [];
  let hits = 0;
  let next = timed;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      const found = await run(i);
      latencies.push(performance.now() - t);
      hits += found;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarize(latencies, performance.now() - started, hits);
}

function summarize(latencies: number[], elapsedMs: number, hits: number): LatencyReport {
  latencies.sort((a, b) => a - b);
  return {
    queries: latencies.length,
    queriesPerSecond: Math.round(latencies.length / (elapsedMs / 1000)),
    p50Ms: round(percentile(latencies, 0.5), 3),
    p99Ms: round(percentile(latencies, 0.99), 3),
    maxMs: round(latencies[latencies.length - 1] ?? 0, 3),
    meanTotalHits: Math.round(hits / Math.max(1, latencies.length)),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A full GC for memory readings: --expose-gc when given, else turned on here. */
function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** Heap and array buffers in use after a full GC. */
function heapBytes(gc: (() => void) | undefined): number | undefined {
  if (gc === undefined) return undefined;
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
