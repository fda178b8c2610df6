import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { commonv1, gatewayv1, notificationv1, type eventsv1 } from '@feedmesh/contracts';
import { createEventLog, waitUntilDrained } from '@feedmesh/events';
import {
  connectReachableRedis,
  createServiceClient,
  deleteKeysUnder,
  type ServiceClient,
} from '@feedmesh/service-kit';
import { isAbortError } from 'abort-controller-x';
import type { Redis } from 'ioredis';
import { ServiceProcess } from './service-process.js';

export interface NotificationBenchOptions {
  /** Redis the two processes share; default REDIS_URL or redis://127.0.0.1:6379. */
  readonly redisUrl?: string;
  /** How an error names `redisUrl` (the CLI's `--redis`); default `redisUrl`. */
  readonly redisUrlSource?: string;
  /** Latency phase: likes published at the gateway, one at a time at `ratePerSecond`. */
  readonly likes?: number;
  readonly ratePerSecond?: number;
  /** Latency phase: post owners subscribed (each like goes to one of them in turn). */
  readonly owners?: number;
  /** Capacity phase: Subscribe streams held open at once; 0 skips the phase. */
  readonly subscribers?: number;
  /** Client channels the streams are spread over (HTTP/2 connections). */
  readonly channels?: number;
  /** How long held streams are watched idle, for the process's idle CPU, ms (default 3,000). */
  readonly idleSampleMs?: number;
  /** Node flags for the notification process, e.g. `--cpu-prof` to profile it. */
  readonly notificationNodeFlags?: readonly string[];
  /** Progress lines (stderr in the script). */
  readonly log?: (line: string) => void;
}

export interface LatencySummary {
  readonly sent: number;
  readonly received: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface NotificationBenchReport {
  readonly machine: {
    readonly cpus: number;
    readonly loadAverage1mBefore: number;
    readonly loadAverage1mAfter: number;
  };
  readonly settings: {
    readonly likes: number;
    readonly ratePerSecond: number;
    readonly owners: number;
    readonly subscribers: number;
    readonly channels: number;
    readonly digestWindowMs: 0;
  };
  /** Like published at the gateway (PublishEvents called) → its notification on Subscribe. */
  readonly latency: LatencySummary & {
    readonly achievedRatePerSecond: number;
    /** CPU the notification process spent per like (consume, digest, policies, deliver), ms. */
    readonly notificationCpuMsPerLike: number;
  };
  readonly subscribers?: {
    readonly target: number;
    /** Streams listening in the notification process (their users' channels in Redis). */
    readonly listening: number;
    /** From the first Subscribe call to every stream listening, ms. */
    readonly openMs: number;
    /** Streams that received the like delivered to each of their users: held and live. */
    readonly held: number;
    readonly notificationRssMbBefore: number;
    readonly notificationRssMbHeld: number;
    readonly rssKbPerSubscriber: number;
    /** The notification process's CPU while the streams were only held (idle cost), ms/s. */
    readonly idleCpuMsPerSecond: number;
    /** A like to every subscribed user at once, under all streams: publish → notification. */
    readonly fanOutLatency: LatencySummary;
    /** The latency phase's steady likes again, on other users' posts, every stream held. */
    readonly latencyWhileHeld: LatencySummary & { readonly notificationCpuMsPerLike: number };
  };
}

const BATCH = 1_000;

/**
 * The notification benchmark: the gateway and the notification service as separate processes
 * on Redis (`node services/feed-gateway/dist/main.js`, `node services/notification/dist/main.js`),
 * driven over gRPC from this process.
 *
 * - Latency: likes published one by one at the gateway at a steady rate, each on the post of a
 *   subscribed owner, with a digest window of 0; the time from the PublishEvents call to the
 *   notification arriving on the owner's Subscribe stream.
 * - Capacity: `subscribers` Subscribe streams opened on the notification process (spread over
 *   `channels` connections), then one like for each of their users: a stream counts as held
 *   when its notification arrives. Reports the process's memory per stream and the fan-out
 *   latency of that burst.
 */
export async function runNotificationBench(
  options: NotificationBenchOptions = {},
): Promise<NotificationBenchReport> {
  const settings = {
    likes: options.likes ?? 600,
    ratePerSecond: options.ratePerSecond ?? 50,
    owners: options.owners ?? 100,
    subscribers: options.subscribers ?? 10_000,
    channels: options.channels ?? 10,
    digestWindowMs: 0 as const,
  };
  const log = options.log ?? (() => undefined);
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const run = randomBytes(4).toString('hex');
  const prefix = `bench:notification:${run}`;
  const common = {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    EVENT_PARTITIONS: '8',
    LOG_LEVEL: 'info',
    OTEL_SDK_DISABLED: 'true',
  };
  const loadBefore = loadavg()[0] ?? 0;
  // Before any process starts: they would only log that they cannot reach it either.
  const redis = await connectReachableRedis(redisUrl, {
    source: options.redisUrlSource ?? 'redisUrl',
  });
  const eventLog = createEventLog({
    kind: 'redis',
    client: redis,
    prefix: `${prefix}:events`,
    partitions: 8,
  });
  const processes: ServiceProcess[] = [];
  const closers: (() => void)[] = [];
  try {
    log('starting notification and feed-gateway processes');
    const notification = await ServiceProcess.start(
      'notification',
      {
        ...common,
        CONSUMER_NAME: `bench-${run}`,
        NOTIFICATION_DIGEST_WINDOW_MS: '0',
        // Limits out of the way: the benchmark measures delivery, not the policies' refusals.
        NOTIFICATION_FATIGUE: 'ACTIVITY=10000/1h/0',
        NOTIFICATION_DAILY_BUDGET: '10000',
        NOTIFICATION_TRENDING_INTERVAL_MS: '0',
        NOTIFICATION_REACTIVATION_INTERVAL_MS: '0',
      },
      options.notificationNodeFlags,
    );
    processes.push(notification);
    const gateway = await ServiceProcess.start('feed-gateway', {
      ...common,
      CONSUMER_NAME: `bench-gateway-${run}`,
      NOTIFICATION_ADDR: notification.address,
    });
    processes.push(gateway);
    const gatewayHandle = createServiceClient(
      gatewayv1.FeedGatewayServiceDefinition,
      gateway.address,
      {
        deadlineMs: 30_000,
      },
    );
    closers.push(gatewayHandle.close);
    const publish = (events: eventsv1.Event[]) => gatewayHandle.client.publishEvents({ events });
    const channels = Array.from({ length: settings.channels }, () => {
      const handle = createServiceClient(
        notificationv1.NotificationServiceDefinition,
        notification.address,
        { deadlineMs: 24 * 3_600_000 },
      );
      closers.push(handle.close);
      return handle.client;
    });

    const totalOwners = Math.max(settings.owners, settings.subscribers);
    log(`publishing ${totalOwners} blogs and posts`);
    for (let start = 0; start < totalOwners; start += BATCH / 2) {
      const events: eventsv1.Event[] = [];
      for (let i = start; i < Math.min(totalOwners, start + BATCH / 2); i++) {
        events.push(blogCreated(run, i), postCreated(run, i));
      }
      await publish(events);
    }
    await waitUntilDrained(eventLog, 'notification', { timeoutMs: 120_000 });

    log(
      `latency: ${settings.likes} likes at ${settings.ratePerSecond}/s to ${settings.owners} owners`,
    );
    const cpuBefore = notification.cpuMs();
    const measured = await measureLatency(run, settings, publish, channels, redis);
    const latency = {
      ...measured,
      notificationCpuMsPerLike: (notification.cpuMs() - cpuBefore) / settings.likes,
    };
    log(`latency p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms`);

    const report: NotificationBenchReport = {
      machine: { cpus: cpus().length, loadAverage1mBefore: loadBefore, loadAverage1mAfter: 0 },
      settings,
      latency,
      ...(settings.subscribers > 0
        ? {
            subscribers: await measureSubscribers(
              run,
              settings,
              publish,
              channels,
              notification,
              eventLog,
              redis,
              options.idleSampleMs ?? 3_000,
              log,
            ),
          }
        : {}),
    };
    return { ...report, machine: { ...report.machine, loadAverage1mAfter: loadavg()[0] ?? 0 } };
  } finally {
    for (const close of closers) close();
    for (const service of processes.reverse()) await service.stop();
    await eventLog.close();
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
  }
}

type NotificationClient = ServiceClient<typeof notificationv1.NotificationServiceDefinition>;
type Publish = (events: eventsv1.Event[]) => Promise<unknown>;

/** Streams for `users`, spread over the channels, reporting each like by its actor. */
function openStreams(
  users: readonly string[],
  channels: readonly NotificationClient[],
  onNotification: (actorId: string, userId: string) => void,
): { cancel(): void; errors: unknown[] } {
  const controller = new AbortController();
  // One signal ends every stream: thousands of listeners on it are expected.
  setMaxListeners(0, controller.signal);
  const errors: unknown[] = [];
  users.forEach((userId, i) => {
    const client = channels[i % channels.length];
    if (client === undefined) return;
    // After id 0: whatever reaches the inbox before the stream listens is replayed, so no
    // notification is lost to the race between opening and publishing.
    const stream = client.subscribe(
      { userId, afterNotificationId: '0000000000000000' },
      { signal: controller.signal },
    );
    void (async () => {
      try {
        for await (const message of stream) {
          onNotification(message.notification?.actorIds[0] ?? '', userId);
        }
      } catch (error) {
        if (!isAbortError(error)) errors.push(error);
      }
    })();
  });
  return { cancel: () => controller.abort(), errors };
}

async function measureLatency(
  run: string,
  settings: { likes: number; ratePerSecond: number; owners: number },
  publish: Publish,
  channels: readonly NotificationClient[],
  redis: Redis,
): Promise<LatencySummary & { achievedRatePerSecond: number }> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const owners = Array.from({ length: settings.owners }, (_, i) => ownerId(run, i));
  const streams = openStreams(owners, channels, (actorId) => {
    const at = sentAt.get(actorId);
    if (at === undefined) return;
    sentAt.delete(actorId);
    latencies.push(performance.now() - at);
  });
  try {
    // The clock starts once every stream listens.
    await waitForListeners(redis, run, owners.length);
    const achievedRatePerSecond = await steadyLikes(run, 'steady', settings, publish, sentAt);
    await waitUntil(() => sentAt.size === 0, 30_000);
    return { ...summarize(latencies, settings.likes), achievedRatePerSecond };
  } finally {
    streams.cancel();
  }
}

/**
 * Publishes `likes` likes one per PublishEvents call at `ratePerSecond`, each from a new liker
 * on the post of owner `i % owners`, noting when each was sent under its liker's id. Returns
 * the rate achieved.
 */
async function steadyLikes(
  run: string,
  phase: string,
  settings: { likes: number; ratePerSecond: number; owners: number },
  publish: Publish,
  sentAt: Map<string, number>,
): Promise<number> {
  const intervalMs = 1_000 / settings.ratePerSecond;
  const started = performance.now();
  for (let i = 0; i < settings.likes; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const liker = `bench-${phase}-${run}-${i}`;
    sentAt.set(liker, performance.now());
    void publish([like(run, liker, i % settings.owners, `${phase}-${i}`)]).catch(() =>
      sentAt.delete(liker),
    );
  }
  return (settings.likes * 1_000) / (performance.now() - started);
}

async function measureSubscribers(
  run: string,
  settings: { subscribers: number; likes: number; ratePerSecond: number },
  publish: Publish,
  channels: readonly NotificationClient[],
  notification: ServiceProcess,
  eventLog: ReturnType<typeof createEventLog>,
  redis: Redis,
  idleSampleMs: number,
  log: (line: string) => void,
): Promise<NonNullable<NotificationBenchReport['subscribers']>> {
  const users = Array.from({ length: settings.subscribers }, (_, i) => ownerId(run, i));
  const rssBefore = notification.rssBytes();
  // Sends by liker, per phase: steady likes first, then the burst that proves every stream live.
  const steadySentAt = new Map<string, number>();
  const steadyLatencies: number[] = [];
  const burstSentAt = new Map<string, number>();
  const burstLatencies: number[] = [];
  const received = new Set<string>();
  const started = performance.now();
  log(`capacity: opening ${settings.subscribers} Subscribe streams`);
  const streams = openStreams(users, channels, (actorId, userId) => {
    const now = performance.now();
    const steadyAt = steadySentAt.get(actorId);
    if (steadyAt !== undefined) {
      steadySentAt.delete(actorId);
      steadyLatencies.push(now - steadyAt);
    }
    const burstAt = burstSentAt.get(actorId);
    if (burstAt !== undefined) {
      burstSentAt.delete(actorId);
      received.add(userId);
      burstLatencies.push(now - burstAt);
    }
  });
  try {
    const listening = await waitForListeners(redis, run, users.length);
    const openMs = performance.now() - started;
    log(`capacity: ${listening} streams listening after ${(openMs / 1000).toFixed(1)} s`);
    // Held streams cost memory and, idle, little else: measure both once settled.
    await sleep(Math.min(2_000, idleSampleMs));
    const cpuStart = notification.cpuMs();
    await sleep(idleSampleMs);
    const idleCpuMsPerSecond = ((notification.cpuMs() - cpuStart) * 1_000) / idleSampleMs;
    const rssHeld = notification.rssBytes();

    log(
      `capacity: ${(rssHeld / 2 ** 20).toFixed(0)} MB held; ` +
        `${settings.likes} steady likes at ${settings.ratePerSecond}/s with every stream held`,
    );
    const heldCpuStart = notification.cpuMs();
    await steadyLikes(run, 'held', { ...settings, owners: users.length }, publish, steadySentAt);
    await waitUntil(() => steadySentAt.size === 0, 30_000);
    const heldCpuMsPerLike = (notification.cpuMs() - heldCpuStart) / settings.likes;
    const latencyWhileHeld = summarize(steadyLatencies, settings.likes);

    log('capacity: a like to each subscribed user at once');
    for (let start = 0; start < users.length; start += BATCH) {
      const batch: eventsv1.Event[] = [];
      const now = performance.now();
      for (let i = start; i < Math.min(users.length, start + BATCH); i++) {
        const liker = `bench-fan-${run}-${i}`;
        burstSentAt.set(liker, now);
        batch.push(like(run, liker, i, `fan-${i}`));
      }
      await publish(batch);
    }
    await waitUntilDrained(eventLog, 'notification', { timeoutMs: 300_000 });
    await waitUntil(() => received.size === users.length, 60_000);
    if (streams.errors.length > 0) {
      log(`capacity: ${streams.errors.length} streams failed: ${String(streams.errors[0])}`);
    }
    return {
      target: settings.subscribers,
      listening,
      openMs,
      held: received.size,
      notificationRssMbBefore: rssBefore / 2 ** 20,
      notificationRssMbHeld: rssHeld / 2 ** 20,
      rssKbPerSubscriber: (rssHeld - rssBefore) / 1024 / settings.subscribers,
      idleCpuMsPerSecond,
      latencyWhileHeld: { ...latencyWhileHeld, notificationCpuMsPerLike: heldCpuMsPerLike },
      fanOutLatency: summarize(burstLatencies, users.length),
    };
  } finally {
    streams.cancel();
  }
}

/**
 * Waits until `count` streams of this run listen: each listening stream's user has a channel
 * subscribed in Redis. Returns how many there are (fewer after 3 minutes).
 */
async function waitForListeners(redis: Redis, run: string, count: number): Promise<number> {
  const pattern = `*${run}*:live:*`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const listening = (await redis.pubsub('CHANNELS', pattern)).length;
    if (listening >= count || Date.now() > deadline) return listening;
    await sleep(100);
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(50);
}

function summarize(latencies: readonly number[], sent: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    sent,
    received: sorted.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    meanMs: sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length),
  };
}

const ownerId = (run: string, i: number): string => `bench-owner-${run}-${i}`;

function blogCreated(run: string, i: number): eventsv1.Event {
  return {
    eventId: `bench-blog-${run}-${i}`,
    atMs: 0,
    payload: {
      $case: 'blogCreated',
      value: {
        blogId: `bench-blog-${run}-${i}`,
        ownerUserId: ownerId(run, i),
        name: `owner${i}`,
        title: '',
      },
    },
  };
}

function postCreated(run: string, i: number): eventsv1.Event {
  return {
    eventId: `bench-post-${run}-${i}`,
    atMs: 0,
    payload: {
      $case: 'postCreated',
      value: {
        postId: `bench-post-${run}-${i}`,
        blogId: `bench-blog-${run}-${i}`,
        text: 'benchmark',
        tags: [],
        mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
        reblogOf: '',
      },
    },
  };
}

function like(run: string, liker: string, owner: number, n: string): eventsv1.Event {
  return {
    eventId: `bench-like-${run}-${n}`,
    atMs: 0,
    payload: {
      $case: 'engagement',
      value: {
        userId: liker,
        postId: `bench-post-${run}-${owner}`,
        kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
      },
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
