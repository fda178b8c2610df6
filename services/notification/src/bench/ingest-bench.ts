import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import type { eventsv1 } from '@feedmesh/contracts';
import { waitUntilDrained } from '@feedmesh/events';
import { createRuntime, deleteKeysUnder, loadConfig } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { Redis } from 'ioredis';
import {
  assembleNotification,
  NOTIFICATION_GROUP,
  notificationConfigShape,
  notificationConsumeOptions,
} from '../index.js';

export interface IngestBenchOptions {
  /** The events, in log order (e.g. a generated world's); the first `limit` are published. */
  readonly events: Iterable<eventsv1.Event>;
  /** Default 200,000. */
  readonly limit?: number;
  /** Default REDIS_URL, else redis://127.0.0.1:6379. */
  readonly redisUrl?: string;
  /**
   * The rate is also reported for the events after the first `steadyAfter` applied: a world's
   * log opens with its blogs and follows, and settles into engagements, posts and sessions.
   * Default 200,000.
   */
  readonly steadyAfter?: number;
  /** Event log partitions. Default 8 (the mesh's default). */
  readonly partitions?: number;
  /** More environment for the service's config, e.g. `NOTIFICATION_CONSUMER_BATCH`. */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface IngestBenchReport {
  readonly machine: {
    readonly cpus: number;
    readonly loadAverage1mBefore: number;
    readonly loadAverage1mAfter: number;
  };
  readonly events: number;
  /** Events published, by payload case. */
  readonly byType: Readonly<Record<string, number>>;
  readonly appendSeconds: number;
  /** From the consumer's start to the group's lag reaching 0. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** The rate once `steadyAfter` events were applied; undefined when no more were published. */
  readonly steadyEventsPerSecond: number | undefined;
  /**
   * `INFO commandstats` after minus before, busiest first. Redis is shared: commands of other
   * clients during the run are counted too.
   */
  readonly redisCommands: readonly {
    readonly command: string;
    readonly calls: number;
    readonly perEvent: number;
    readonly usec: number;
  }[];
}

const silent = createLogger('notification-ingest-bench', { level: 'silent' });

/**
 * How fast the `notification` group applies the log: publishes the first `limit` events to a
 * Redis log under a fresh prefix, then starts the service's consumer (and digest flusher) in
 * this process, consuming exactly as the service does (`notificationConsumeOptions`), and
 * times it until the group's lag is 0. Deletes every key it wrote.
 */
export async function runIngestBench(options: IngestBenchOptions): Promise<IngestBenchReport> {
  const log = options.log ?? (() => undefined);
  const limit = options.limit ?? 200_000;
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench:ni:${randomBytes(4).toString('hex')}`;
  const config = loadConfig(notificationConfigShape, {
    GRPC_LISTEN: '127.0.0.1:0',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    EVENT_PARTITIONS: String(options.partitions ?? 8),
    CONSUMER_NAME: 'bench',
    // Ingestion only: no trending or reactivation calls to a mesh that is not there.
    NOTIFICATION_TRENDING_INTERVAL_MS: '0',
    NOTIFICATION_REACTIVATION_INTERVAL_MS: '0',
    ...options.env,
  });
  const runtime = createRuntime(config, silent);
  const admin = new Redis(redisUrl);
  const loadBefore = loadavg()[0]!;
  try {
    log(`publishing up to ${limit} events under ${prefix}`);
    const appendStart = performance.now();
    const byType: Record<string, number> = {};
    let events = 0;
    let chunk: eventsv1.Event[] = [];
    for (const event of options.events) {
      if (events === limit) break;
      const type = event.payload?.$case ?? 'none';
      byType[type] = (byType[type] ?? 0) + 1;
      chunk.push(event);
      events += 1;
      if (chunk.length === 5_000) {
        await runtime.eventLog.append(chunk);
        chunk = [];
      }
    }
    await runtime.eventLog.append(chunk);
    const appendSeconds = (performance.now() - appendStart) / 1000;
    log(`published ${events} events in ${appendSeconds.toFixed(1)} s; consuming`);

    const statsBefore = parseCommandStats(await admin.info('commandstats'));
    const core = assembleNotification({ config, runtime, logger: silent });
    core.flusher.start();
    const start = performance.now();
    const consumer = await runtime.eventLog.consume(
      notificationConsumeOptions(core, { config, runtime }),
    );
    let steady: { readonly remaining: number; readonly atMs: number } | undefined;
    const steadyRemaining = events - (options.steadyAfter ?? 200_000);
    try {
      await waitUntilDrained(runtime.eventLog, NOTIFICATION_GROUP, {
        onLag: (remaining) => {
          if (steady === undefined && remaining <= steadyRemaining) {
            steady = { remaining, atMs: performance.now() };
          }
        },
        progress: (remaining) => log(`  ${remaining} events to go`),
      });
    } finally {
      await consumer.stop();
      await core.flusher.stop();
      core.mesh.close();
      await core.stores.live.close();
    }
    const end = performance.now();
    const seconds = (end - start) / 1000;
    const steadyEventsPerSecond =
      steady === undefined || end <= steady.atMs
        ? undefined
        : Math.round(steady.remaining / ((end - steady.atMs) / 1000));
    const statsAfter = parseCommandStats(await admin.info('commandstats'));
    const eventsPerSecond = Math.round(events / seconds);
    log(`applied ${events} events in ${seconds.toFixed(1)} s: ${eventsPerSecond} events/s`);
    return {
      machine: {
        cpus: cpus().length,
        loadAverage1mBefore: loadBefore,
        loadAverage1mAfter: loadavg()[0]!,
      },
      events,
      byType,
      appendSeconds: round1(appendSeconds),
      seconds: round1(seconds),
      eventsPerSecond,
      steadyEventsPerSecond,
      redisCommands: commandDeltas(statsBefore, statsAfter, events),
    };
  } finally {
    log(`deleting the keys under ${prefix}`);
    await runtime.close();
    await deleteKeysUnder(admin, prefix);
    await admin.quit();
  }
}

interface CommandStat {
  readonly calls: number;
  readonly usec: number;
}

function parseCommandStats(info: string): Map<string, CommandStat> {
  const stats = new Map<string, CommandStat>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

function commandDeltas(
  before: ReadonlyMap<string, CommandStat>,
  after: ReadonlyMap<string, CommandStat>,
  events: number,
): IngestBenchReport['redisCommands'] {
  return [...after]
    .map(([command, stat]) => {
      const calls = stat.calls - (before.get(command)?.calls ?? 0);
      const usec = stat.usec - (before.get(command)?.usec ?? 0);
      return { command, calls, perEvent: Math.round((calls / events) * 100) / 100, usec };
    })
    .filter((delta) => delta.calls > 0)
    .sort((a, b) => b.calls - a.calls);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
