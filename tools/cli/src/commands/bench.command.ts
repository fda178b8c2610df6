import { Option, type Command } from '@commander-js/extra-typings';
import { runFeatureBench } from '@feedmesh/feature-store';
import { runNotificationBench } from '@feedmesh/notification';
import { runSearchBench } from '@feedmesh/search';
import { WORLD_PRESET_NAMES, type WorldPresetName } from '@feedmesh/world';
import { renderFeedBench, runFeedBench } from '../bench-feed/index.js';
import { duration, integerList, ratio } from '../bench-feed/option-parsers.js';
import { runCandidatesBenchProcess } from '../candidates-bench-process.js';
import type { CliIo } from '../cli-io.js';
import { integerIn, nodeFlags, outputDir, outputFile } from '../option-parsers.js';
import { ms, printReport } from './report-output.js';

/** `feedmesh bench <what>`: benchmarks that report numbers (never pass/fail). */
export function registerBenchCommand(program: Command, io: CliIo): void {
  const bench = program.command('bench').description('benchmarks: numbers, measured side by side');

  bench
    .command('search')
    .description('index generated posts; query through gRPC and in-process, beside MiniSearch')
    .option('--posts <n>', 'posts to index', integerIn(1, 5_000_000), 100_000)
    .option('--queries <n>', 'queries per engine', integerIn(1, 1_000_000), 2_000)
    .option('--seed <n>', 'world seed', integerIn(0, 2 ** 32 - 1), 1)
    .option('--no-grpc', 'skip the gRPC measurement')
    .option('--no-minisearch', 'skip MiniSearch')
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runSearchBench({
        posts: options.posts,
        queries: options.queries,
        seed: options.seed,
        grpc: options.grpc,
        minisearch: options.minisearch,
      });
      await printReport(io, report, options, () => {
        const lines = [`${report.posts} posts, load average ${report.loadAverage.join(' ')}`];
        for (const [name, engine] of [
          ['feedmesh', report.feedmesh],
          ['minisearch', report.minisearch],
        ] as const) {
          if (!engine) continue;
          lines.push(
            `${name.padEnd(10)} index ${ms(engine.indexMs)}, ${((engine.memoryBytes ?? 0) / 2 ** 20).toFixed(0)} MiB;` +
              ` ${engine.search.queriesPerSecond.toFixed(0)} queries/s, p50 ${ms(engine.search.p50Ms)}, p99 ${ms(engine.search.p99Ms)}`,
          );
        }
        if (report.grpc) {
          lines.push(
            `gRPC       p50 ${ms(report.grpc.sequential.p50Ms)}, p99 ${ms(report.grpc.sequential.p99Ms)} (one at a time)`,
          );
        }
        return lines;
      });
    });

  bench
    .command('notifications')
    .description(
      'Like at the gateway to its notification on Subscribe; subscribers one process holds',
    )
    .option('--likes <n>', 'likes published one by one', integerIn(1, 1_000_000), 600)
    .option('--rate <n>', 'likes per second', integerIn(1, 100_000), 50)
    .option('--owners <n>', 'post owners subscribed while likes arrive', integerIn(1, 100_000), 100)
    .option(
      '--subscribers <n>',
      'concurrent Subscribe streams to hold (0 skips)',
      integerIn(0, 1_000_000),
      10_000,
    )
    .option(
      '--redis <url>',
      'Redis for the two processes',
      process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    )
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runNotificationBench({
        redisUrl: options.redis,
        redisUrlSource: '--redis',
        likes: options.likes,
        ratePerSecond: options.rate,
        owners: options.owners,
        subscribers: options.subscribers,
        log: (line: string) => io.stderr.write(`${line}\n`),
      });
      await printReport(io, report, options, () => [
        `load average ${report.machine.loadAverage1mBefore} before, ${report.machine.loadAverage1mAfter} after`,
        `Like -> Subscribe: p50 ${ms(report.latency.p50Ms)}, p99 ${ms(report.latency.p99Ms)} (${report.latency.sent} likes)`,
        ...(report.subscribers
          ? [
              `subscribers held: ${report.subscribers.held} of ${report.subscribers.target}` +
                ` (${report.subscribers.rssKbPerSubscriber.toFixed(1)} KB each)`,
            ]
          : []),
      ]);
    });

  bench
    .command('features')
    .description(
      'GetFeatures for 1,000 posts through gRPC beside the raw MGET of the same keys; ingestion rate',
    )
    .addOption(
      new Option('--preset <name>', 'world to load (medium: 100,000 posts)')
        .choices(WORLD_PRESET_NAMES)
        .default('medium' as const),
    )
    .option('--seed <n>', 'world seed', integerIn(0, 2 ** 32 - 1), 1)
    .option('--posts <n>', 'posts per GetFeatures', integerIn(1, 5_000), 1_000)
    .option('--requests <n>', 'timed GetFeatures calls', integerIn(1, 1_000_000), 1_000)
    .option('--warmup <n>', 'untimed GetFeatures calls first', integerIn(0, 1_000_000), 200)
    .option('--partitions <n>', 'event log partitions', integerIn(1, 1_024), 8)
    .option(
      '--batch-size <n>',
      "the feature store's FEATURE_STORE_BATCH_SIZE",
      integerIn(1, 100_000),
      2_000,
    )
    .option('--prefix <prefix>', 'key prefix of the run (default: a random bench:fs:<hex>)')
    .option('--keep-data', 'leave the ingested keys in Redis (deleted by default)')
    .option(
      '--verify',
      'after ingestion, compare a sample of what the service built with the in-memory store fed the same world; fail if they differ',
    )
    .option('--redis <url>', 'Redis to run on', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runFeatureBench({
        redisUrl: options.redis,
        redisUrlSource: '--redis',
        preset: options.preset,
        seed: options.seed,
        postsPerRequest: options.posts,
        requests: options.requests,
        warmup: options.warmup,
        partitions: options.partitions,
        batchSize: options.batchSize,
        keepData: options.keepData === true,
        verify: options.verify === true,
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        log: (line: string) => io.stderr.write(`${line}\n`),
      });
      await printReport(io, report, options, () => [
        `${report.world.posts} posts, ${report.world.events} events`,
        `ingestion      ${report.ingestion.eventsPerSecond.toFixed(0)} events/s`,
        `GetFeatures    p50 ${ms(report.getFeatures.p50)}, p95 ${ms(report.getFeatures.p95)}, p99 ${ms(report.getFeatures.p99)}`,
        `raw MGET       p50 ${ms(report.rawMget.p50)}, p95 ${ms(report.rawMget.p95)}, p99 ${ms(report.rawMget.p99)} (${report.rawMget.keys} keys)`,
        `gRPC floor     p50 ${ms(report.transportFloor.p50)}, p95 ${ms(report.transportFloor.p95)}, p99 ${ms(report.transportFloor.p99)} (a server doing no work)`,
        `ratio          p50 ${report.ratio.p50.toFixed(2)}, p95 ${report.ratio.p95.toFixed(2)}, p99 ${report.ratio.p99.toFixed(2)}`,
      ]);
    });

  bench
    .command('candidates')
    .description(
      'index a generated world in candidate generation; Generate latency in process and through' +
        " gRPC, measured in a process with the service's V8 flags",
    )
    .addOption(
      new Option('--preset <name>', 'world (large: 1,000,000 posts, 100,000 users)')
        .choices(['small', 'default', 'medium', 'large'] as const)
        .default('large' as const),
    )
    .option('--seed <n>', 'world seed', integerIn(0, 2 ** 32 - 1), 1)
    .option('--requests <n>', 'timed Generate calls', integerIn(1, 1_000_000), 2_000)
    .option('--candidates <n>', 'max_candidates per call', integerIn(1, 10_000), 1_000)
    .option('--factors <n>', 'embedding factors (0: no embeddings source)', integerIn(0, 512), 32)
    .option('--no-grpc', 'skip the gRPC measurement')
    .option('--profile <file>', 'write a CPU profile of the timed calls (.cpuprofile)', outputFile)
    .option(
      '--node-flags <flags>',
      'more node flags for the measuring process, after the service\'s (e.g. "--trace-gc")',
      nodeFlags,
    )
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runCandidatesBenchProcess({
        preset: options.preset,
        seed: options.seed,
        requests: options.requests,
        maxCandidates: options.candidates,
        factors: options.factors,
        grpc: options.grpc,
        ...(options.profile === undefined ? {} : { profile: options.profile }),
        ...(options.nodeFlags === undefined ? {} : { nodeFlags: options.nodeFlags }),
        log: (line) => void io.stderr.write(`${line}\n`),
        signal: io.interrupt,
      });
      await printReport(io, report, options, () => [
        `${report.preset} world: ${report.world.posts} posts, ${report.world.users} users,` +
          ` ${report.world.events} events indexed in ${ms(report.rebuild.ms)}` +
          ` (${report.rebuild.eventsPerSecond.toFixed(0)} events/s)`,
        `measured by node ${report.node.version} ${report.node.flags.join(' ')}` +
          (report.node.callerFlags
            ? `; the gRPC caller (the gateway's part) with ${report.node.callerFlags.join(' ') || 'no flags'}`
            : ''),
        `Generate in process  p50 ${ms(report.generate.p50)}, p99 ${ms(report.generate.p99)},` +
          ` ${report.generate.meanCandidates.toFixed(0)} candidates per call`,
        `  without a collector pause in the call (${report.gc.generateWithoutPause.count} of` +
          ` ${report.generate.count}): p50 ${ms(report.gc.generateWithoutPause.p50)},` +
          ` p99 ${ms(report.gc.generateWithoutPause.p99)}`,
        ...(report.grpc
          ? [`Generate via gRPC    p50 ${ms(report.grpc.p50)}, p99 ${ms(report.grpc.p99)}`]
          : []),
        ...(report.grpcFloor
          ? [
              `the transport alone p50 ${ms(report.grpcFloor.p50)}, p99 ${ms(report.grpcFloor.p99)}` +
                ' (a canned response of the same size, asked in turn)',
            ]
          : []),
        ...(report.grpcBareFloor
          ? [
              `  from a process holding nothing else p50 ${ms(report.grpcBareFloor.p50)},` +
                ` p99 ${ms(report.grpcBareFloor.p99)}`,
            ]
          : []),
        `load average ${report.load.map((v) => v.toFixed(2)).join(' ')}`,
      ]);
    });

  bench
    .command('feed')
    .description(
      'GetFeed under closed-loop load on the mesh as processes, beside a bare echo RPC of the same size',
    )
    .addOption(
      new Option('--world <preset>', 'the generated world to load')
        .choices(WORLD_PRESET_NAMES)
        .default('medium' as const),
    )
    .option('--seed <n>', 'world seed', integerIn(0, 2 ** 32 - 1), 1)
    .addOption(
      new Option('--duration <time>', 'length of each level, e.g. 20s or 1500ms')
        .argParser(duration)
        .default(20_000, '20s'),
    )
    .option(
      '--concurrency <list>',
      'closed-loop callers per level',
      integerList(4_096),
      [1, 4, 16, 32],
    )
    .option(
      '--rate <n>',
      'feeds/s of the fixed-rate (open-loop) run; 0 skips it',
      integerIn(0, 100_000),
      100,
    )
    .addOption(
      new Option('--warmup <time>', 'load before measuring')
        .argParser(duration)
        .default(5_000, '5s'),
    )
    .option('--page-size <n>', 'items per feed', integerIn(1, 100), 20)
    .option(
      '--candidates <n>',
      'candidates generated and scored per feed',
      integerIn(1, 5_000),
      1_000,
    )
    .option('--no-echo', 'skip the echo measurement')
    .option('--trace-ratio <share>', 'share of feeds traced for stage timings', ratio, 0.05)
    .option('--redis <url>', 'Redis to run on', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'Redis key prefix (default feedmesh-bench-<world>-<seed>)')
    .option('--port <n>', 'gateway port (default: a free one)', integerIn(1, 65_535))
    .option('--reload', 'publish the world even when an earlier run left it loaded')
    .option('--service-node-options <flags>', 'added to NODE_OPTIONS of every service')
    .option('--cpu-prof <dir>', 'write a CPU profile of each service process into <dir>', outputDir)
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runFeedBench({
        redisUrl: options.redis,
        redisPrefix: options.prefix,
        world: options.world as WorldPresetName,
        seed: options.seed,
        durationMs: options.duration,
        concurrency: options.concurrency,
        fixedRatePerSecond: options.rate,
        warmupMs: options.warmup,
        pageSize: options.pageSize,
        maxCandidates: options.candidates,
        echo: options.echo,
        traceSampleRatio: options.traceRatio,
        ...(options.port === undefined ? {} : { gatewayListen: `127.0.0.1:${options.port}` }),
        reload: options.reload === true,
        serviceNodeOptions: options.serviceNodeOptions,
        cpuProfileDir: options.cpuProf,
        log: (line: string) => io.stderr.write(`${line}\n`),
        output: io.stderr,
        signal: io.interrupt,
      });
      await printReport(io, report, options, () => [renderFeedBench(report).trimEnd()]);
    });
}
