import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { commonv1, eventsv1, type gatewayv1 } from '@feedmesh/contracts';
import { connectReachableRedis, type Logger } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { TOPICS, type World, type WorldPresetName } from '@feedmesh/world';
import { isAbortError } from './cli-errors.js';
import { wantsColor, type CliIo } from './cli-io.js';
import { buildWorld } from './commands/world.command.js';
import { connectGateway, DEFAULT_GATEWAY_ADDRESS, type GatewayClient } from './gateway-client.js';
import { startEmbeddedPlayground, type Env, type Playground } from '@feedmesh/playground';
import { startProcessPlayground, type ProcessPlayground } from './process-playground.js';
import { renderFeed } from './render/feed-table.js';
import { feedmeshCommand, formatCount, shellArg } from './render/text.js';
import { publishWorld, waitForConsumers } from './world-loader.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface PlaygroundSessionOptions {
  /** The world to load; undefined loads nothing. */
  readonly world: WorldPresetName | undefined;
  readonly seed: number;
  /** Whose feed to print; default: the world's most active user. */
  readonly user: string | undefined;
  readonly processes: boolean;
  /** Gateway port; default: the port of GRPC_LISTEN, else 50051. */
  readonly port: number | undefined;
  /** With Redis: publish the world even when the log already holds events. */
  readonly reload: boolean;
}

/**
 * `feedmesh up`: starts the services, loads the world through the gateway, waits for every
 * consumer, trains the first models, prints a feed and what to try next, then serves until
 * Ctrl-C (or until a service process dies) and drains everything. Progress goes to stderr,
 * the feed and the suggestions to stdout.
 */
export async function runPlayground(options: PlaygroundSessionOptions, io: CliIo): Promise<void> {
  const started = performance.now();
  const say = (line: string) => io.stderr.write(`${line}\n`);
  const timings = new StageTimer();
  const logger = createLogger('playground', {
    destination: io.stderr,
    env: io.env as NodeJS.ProcessEnv,
    // The services' info logs would bury the playground's own output; LOG_LEVEL brings them.
    ...(io.env['LOG_LEVEL'] ? {} : { level: 'warn' as const }),
  });
  // GRPC_LISTEN names the gateway here; every other service gets an address of its own.
  const { GRPC_LISTEN, ...env } = io.env;
  const gatewayListen =
    options.port === undefined
      ? (GRPC_LISTEN ?? DEFAULT_GATEWAY_ADDRESS)
      : `127.0.0.1:${options.port}`;

  // The services would retry an unreachable Redis in the background forever; fail instead.
  const redisUrl = options.processes ? (env['REDIS_URL'] ?? DEFAULT_REDIS_URL) : env['REDIS_URL'];
  if (redisUrl !== undefined) {
    const source = env['REDIS_URL'] === undefined ? 'the default of --processes' : 'REDIS_URL';
    const redis = await unlessInterrupted(
      io.interrupt,
      () => connectReachableRedis(redisUrl, { source }),
      (late) => late.disconnect(),
    );
    if (redis === undefined) {
      say('interrupted before the services started');
      return;
    }
    redis.disconnect();
  }

  say(
    options.processes
      ? 'feedmesh playground: starting each service as its own process (Redis)'
      : 'feedmesh playground: starting every service in this process ' +
          `(${env['REDIS_URL'] ? 'Redis' : 'in-memory event log and stores'})`,
  );
  const playground = await startServices(options, io, {
    gatewayListen,
    env,
    redisUrl,
    logger,
    timings,
  });
  if (playground === undefined) {
    say('start aborted (interrupted): the services that had started are stopped');
    return;
  }
  for (const [name, address] of Object.entries(playground.addresses)) {
    say(`  ${name.padEnd(21)} ${address}`);
  }

  // Stops on Ctrl-C, or when a service process dies (then the exit is a failure).
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  io.interrupt.addEventListener('abort', onInterrupt, { once: true });
  if (io.interrupt.aborted) stop.abort();
  let failure: unknown;
  playground.failed?.catch((error: unknown) => {
    failure = error;
    stop.abort();
  });

  const gateway = connectGateway(playground.gatewayAddress);
  try {
    const world =
      options.world === undefined
        ? undefined
        : buildWorld({ preset: options.world, seed: options.seed });
    const userId = options.user ?? (world === undefined ? 'u1' : mostActiveUser(world));
    if (world !== undefined) {
      await loadWorld(playground, gateway.client, world, {
        io,
        say,
        timings,
        signal: stop.signal,
        reload: options.reload,
      });
      await timings.time('training', () => train(playground, gateway.client, userId, say));
    }
    const address =
      playground.gatewayAddress === DEFAULT_GATEWAY_ADDRESS ? undefined : playground.gatewayAddress;
    const page = await timings.time('first feed', () => firstFeed(gateway.client, userId, say));
    if (page !== undefined) {
      io.stdout.write(
        `\n${renderFeed(page, { userId, surface: 'dashboard', pageSize: 10, address }, { color: wantsColor(io) })}`,
      );
    }
    const commands = nextCommands(world, userId, page?.items[0]?.postId, address);
    io.stdout.write(`\ntry next:\n${commands.map((command) => `  ${command}\n`).join('')}\n`);
    say(
      `ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${timings.summary()}); ` +
        `gateway at ${playground.gatewayAddress}. Ctrl-C to stop.`,
    );

    if (!stop.signal.aborted) await once(stop.signal, 'abort');
    if (failure !== undefined) throw failure;
  } catch (error) {
    // Ctrl-C, even while loading, is the normal way to stop; a service dying is not.
    if (failure !== undefined || !io.interrupt.aborted) throw failure ?? error;
  } finally {
    io.interrupt.removeEventListener('abort', onInterrupt);
    gateway.close();
    say('stopping: draining the gateway, then the services');
    await playground.shutdown();
    say('stopped');
  }
}

/**
 * What `start` makes, or undefined once Ctrl-C comes first (then it is not called at all if
 * Ctrl-C came before). What it makes after Ctrl-C goes to `discard`; a failure after it is
 * dropped, since nobody waits for it any more.
 */
async function unlessInterrupted<T>(
  interrupt: AbortSignal,
  start: () => Promise<T>,
  discard: (late: T) => unknown,
): Promise<T | undefined> {
  if (interrupt.aborted) return undefined;
  const starting = start();
  let onAbort: () => void = () => undefined;
  const interrupted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    interrupt.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([starting.then((value) => ({ value })), interrupted]);
    if (first !== undefined) return first.value;
    starting.then(discard).catch(() => undefined);
    return undefined;
  } finally {
    interrupt.removeEventListener('abort', onAbort);
  }
}

interface ServicesContext {
  readonly gatewayListen: string;
  readonly env: Env;
  readonly redisUrl: string | undefined;
  readonly logger: Logger;
  readonly timings: StageTimer;
}

/**
 * Starts the services, or undefined when Ctrl-C aborts the start: every service's start gets
 * a signal that Ctrl-C (or SIGTERM) aborts, a long one (candidate generation's rebuild,
 * search's indexing) stops at its next look at it, and whatever had started is stopped, in
 * reverse order, before this returns. A start that ends before it looks is stopped here.
 */
async function startServices(
  options: PlaygroundSessionOptions,
  io: CliIo,
  context: ServicesContext,
): Promise<ServicesPlayground | undefined> {
  if (io.interrupt.aborted) return undefined;
  // Only the start's: the signal a service's start is given must not fire once it is running.
  const start = new AbortController();
  const onInterrupt = () => start.abort();
  io.interrupt.addEventListener('abort', onInterrupt, { once: true });
  let playground: ServicesPlayground;
  try {
    playground = await context.timings.time('services', () => {
      if (options.processes) {
        return startProcessPlayground({
          gatewayListen: context.gatewayListen,
          env: { ...context.env, REDIS_URL: context.redisUrl },
          logger: context.logger,
          output: io.stderr,
          interrupt: io.interrupt,
        });
      }
      // @feedmesh/playground hands the signal to each service's start.
      return startEmbeddedPlayground({
        gatewayListen: context.gatewayListen,
        env: context.env,
        logger: context.logger,
        signal: start.signal,
      });
    });
  } catch (error) {
    if (start.signal.aborted && causedByAbort(error)) return undefined;
    throw error;
  } finally {
    io.interrupt.removeEventListener('abort', onInterrupt);
  }
  if (!start.signal.aborted) return playground;
  await playground.shutdown();
  return undefined;
}

type ServicesPlayground = Playground & Partial<Pick<ProcessPlayground, 'failed'>>;

/** An AbortError, or an error caused by one (a service's start may wrap the abort). */
function causedByAbort(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (isAbortError(cause)) return true;
  }
  return false;
}

/** How long each stage took, for the `ready in` line (the 60-second target is measured here). */
class StageTimer {
  private readonly stages: [string, number][] = [];

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.stages.push([name, (performance.now() - start) / 1000]);
    }
  }

  summary(): string {
    return this.stages.map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ');
  }
}

interface LoadContext {
  readonly io: CliIo;
  readonly say: (line: string) => void;
  readonly timings: StageTimer;
  readonly signal: AbortSignal;
  readonly reload: boolean;
}

async function loadWorld(
  playground: Playground,
  client: GatewayClient,
  world: World,
  context: LoadContext,
): Promise<void> {
  const { say, timings, io } = context;
  if (
    playground.runtime.redis !== undefined &&
    !context.reload &&
    (await logHasEvents(playground))
  ) {
    say(
      'the event log in Redis already holds events: not publishing the world again (--reload does)',
    );
    return;
  }
  const p = world.truth.parameters;
  say(
    `world: seed ${p.seed}, ${formatCount(p.users)} users, ${formatCount(p.blogs)} blogs, ` +
      `${formatCount(p.posts)} posts, about ${formatCount(p.engagements)} engagements over ${p.days} days`,
  );
  const summary = await timings.time('publish', () =>
    publishWorld(client, world, {
      address: playground.gatewayAddress,
      batchSize: 1000,
      stderr: io.stderr,
      signal: context.signal,
    }),
  );
  say(
    `published ${formatCount(summary.published)} events in ${summary.seconds.toFixed(1)} s ` +
      `(${formatCount(summary.eventsPerSecond)} events/s)`,
  );
  await timings.time('catch-up', () =>
    waitForConsumers(playground.runtime.eventLog, playground.consumerGroups, {
      stderr: io.stderr,
      signal: context.signal,
    }),
  );
  say(`every consumer caught up: ${playground.consumerGroups.join(', ')}`);
}

async function logHasEvents(playground: Playground): Promise<boolean> {
  for await (const _event of playground.runtime.eventLog.history({ chunkSize: 1 })) return true;
  return false;
}

/**
 * Trains the first models and waits (briefly) until the ranker serves the new version, so
 * the feed printed next is ranked by it. A failed training leaves the ranker's built-in
 * heuristic in place: the playground still comes up.
 */
async function train(
  playground: Playground,
  client: GatewayClient,
  userId: string,
  say: (line: string) => void,
): Promise<void> {
  let report;
  try {
    report = await playground.train();
  } catch (error) {
    say(`training failed (${messageOf(error)}); the ranker keeps its built-in heuristic`);
    return;
  }
  const metric = report.heldOutMetrics.candidate[report.promotionMetric];
  say(
    `trained ${report.modelName}${report.version ? `@${report.version}` : ''} on ` +
      `${formatCount(report.examples.total)} examples from ${report.source}` +
      `${metric === undefined ? '' : `; held-out ${report.promotionMetric} ${metric.toFixed(3)}`}` +
      `; ${report.promoted ? 'promoted' : `not promoted: ${report.reason}`}`,
  );
  await trainEmbeddings(playground, say);
  await trainContentModels(playground, say);
  if (!report.promoted || report.version === undefined) return;
  const wanted = `${report.modelName}@${report.version}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const page = await client.getFeed(feedRequest(userId, 1)).catch(() => undefined);
    if (page?.model === wanted) return;
    await sleep(100);
  }
  say(`the ranker has not loaded ${wanted} yet; the first feed may use the previous model`);
}

/** The sample feed; a failure is printed and the playground keeps serving, to be looked at. */
async function firstFeed(
  client: GatewayClient,
  userId: string,
  say: (line: string) => void,
): Promise<gatewayv1.GetFeedResponse | undefined> {
  try {
    return await client.getFeed(feedRequest(userId, 10));
  } catch (error) {
    say(`error: the first feed failed: ${messageOf(error)}`);
    return undefined;
  }
}

function feedRequest(userId: string, pageSize: number): gatewayv1.GetFeedRequest {
  return { userId, surface: commonv1.Surface.SURFACE_DASHBOARD, tag: '', pageSize, cursor: '' };
}

/** The most active user who is not lapsed: their dashboard shows every source at work. */
function mostActiveUser(world: World): string {
  const active = world.truth.users.filter((u) => u.lapsedAfterMs === undefined);
  active.sort(
    (a, b) => b.activity - a.activity || a.id.localeCompare(b.id, 'en', { numeric: true }),
  );
  return active[0]?.id ?? 'u1';
}

/** Commands that show the rest of the system, about this world's people and posts. */
function nextCommands(
  world: World | undefined,
  userId: string,
  postId: string | undefined,
  address: string | undefined,
): string[] {
  const at = address === undefined ? [] : ['--addr', address];
  const topic = TOPICS[world?.truth.user(userId)?.interests[0]?.topic ?? 0] ?? TOPICS[0]!;
  const creator = world?.truth.blog(world.truth.establishedBlogIds[0] ?? '')?.ownerUserId ?? userId;
  const commands = [
    feedmeshCommand(['feed', '--user', userId, '--surface', 'for-you', ...at]),
    feedmeshCommand(['feed', '--user', userId, '--tag', topic.tags[0] ?? topic.name, ...at]),
    feedmeshCommand(['search', topic.words[0] ?? topic.name, '--user', userId, ...at]),
    feedmeshCommand(['notifications', '--user', creator, '--follow', ...at]),
  ];
  if (postId !== undefined) {
    // A like, published as any producer would (at_ms 0: the gateway stamps it).
    const like = eventsv1.Event.toJSON({
      eventId: `cli-like-${Date.now().toString(36)}`,
      atMs: 0,
      payload: {
        $case: 'engagement',
        value: { userId, postId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
      },
    });
    commands.push(
      `echo ${shellArg(JSON.stringify(like))} | ${feedmeshCommand(['publish', '-', ...at])}`,
    );
  }
  return commands;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Learns the first user and post embeddings, which candidate generation loads within a
 * second (the playground's poll). A failure only leaves the embeddings source empty.
 */
async function trainEmbeddings(playground: Playground, say: (line: string) => void) {
  try {
    const report = await playground.trainEmbeddings();
    say(
      report.published === undefined
        ? 'no engagement to learn embeddings from yet'
        : `trained embeddings ${report.published.version} from ` +
            `${formatCount(report.engagements)} engagements in ${Math.round(report.trainMs)} ms`,
    );
  } catch (error) {
    say(`embeddings training failed (${messageOf(error)}); candidates come without them`);
  }
}

/** Learns the first content models (tag inference, content vectors) for candidates and search. */
async function trainContentModels(playground: Playground, say: (line: string) => void) {
  try {
    const report = await playground.trainContentModels();
    say(
      report.published === undefined
        ? 'no tagged post to learn content models from yet'
        : `trained content models ${report.published.version} from ` +
            `${formatCount(report.posts)} posts in ${Math.round(report.trainMs)} ms`,
    );
  } catch (error) {
    say(`content models training failed (${messageOf(error)}); tags are not inferred yet`);
  }
}
