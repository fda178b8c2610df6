import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { contentModelStoreFor } from '@feedmesh/content';
import { embeddingStoreFor } from '@feedmesh/embeddings';
import { modelRegistryFor } from '@feedmesh/models';
import {
  ClientError,
  createRuntime,
  listenProblem,
  Status,
  loadConfig,
  runtimeConfigShape,
  type Logger,
} from '@feedmesh/service-kit';
import type { Output } from './cli-io.js';
import { CommandFailedError, withoutResolutionNote } from './cli-errors.js';
import { healthProbe, type HealthProbe } from './service-health.js';
import {
  consumerGroupsOf,
  CONVENTIONAL_PORTS,
  SERVICE_NODE_FLAGS,
  downstreamEnv,
  playgroundDefaults,
  PLAYGROUND_SERVICES,
  trainContentModelsOnce,
  trainEmbeddingsOnce,
  trainOnce,
  type Env,
  type Playground,
  type PlaygroundService,
} from '@feedmesh/playground';

export interface ProcessPlaygroundOptions {
  /**
   * Where the gateway listens; the others take their conventional ports on the same host,
   * unless `ports` names others.
   */
  readonly gatewayListen: string;
  /** Ports other than the conventional ones, by service (a benchmark takes free ones). */
  readonly ports?: Readonly<Partial<Record<PlaygroundService, number>>>;
  /** Passed to every child; must hold REDIS_URL (the services meet through Redis). */
  readonly env: Env;
  readonly logger: Logger;
  /** Where the children's output goes, each line prefixed with the service's name. */
  readonly output: Output;
  /** How long the services get to answer SERVING to a grpc.health.v1 Check, ms; default 60 s. */
  readonly startTimeoutMs?: number;
  /**
   * Ctrl-C: once aborted, a child exiting is expected. The terminal sends SIGINT to the whole
   * foreground process group, so the children start draining on their own. During the start,
   * it stops the children (SIGTERM: a service aborts a long start on it) and the start rejects
   * with an AbortError.
   */
  readonly interrupt?: AbortSignal;
  /** Node flags for a child (before its script), e.g. `--cpu-prof` ones from `bench feed`. */
  readonly nodeFlags?: (service: PlaygroundService) => readonly string[];
}

/** A playground whose services run as child processes; `failed` settles if one dies. */
export interface ProcessPlayground extends Playground {
  /** Rejects when a service exits while the playground is meant to be running. */
  readonly failed: Promise<never>;
  /** How each child that has ended ended (`code 0`, `SIGKILL`), by service. */
  readonly exits: Readonly<Partial<Record<PlaygroundService, string>>>;
  /**
   * Runs `work` against the running services, and rejects with a service's exit as soon as
   * one dies (what a call to the dead service would say instead tells less), aborting the
   * signal `work` is given. `interrupt` (Ctrl-C) aborts that signal too.
   */
  whileRunning<T>(work: (signal: AbortSignal) => Promise<T>, interrupt?: AbortSignal): Promise<T>;
}

/** Searches run in a process of their own, so their consumer group follows its name. */
const consumerNameOf = (service: PlaygroundService) => `playground-${service}`;

/**
 * Starts each service as `node services/<name>/dist/main.js` with GRPC_LISTEN, the downstream
 * *_ADDR variables and REDIS_URL, forwards their logs prefixed, and waits until each answers
 * SERVING to a grpc.health.v1 Check. The trainer runs in this process against the same Redis.
 */
export async function startProcessPlayground(
  options: ProcessPlaygroundOptions,
): Promise<ProcessPlayground> {
  const redisUrl = options.env['REDIS_URL'];
  if (!redisUrl)
    throw new CommandFailedError('--processes needs REDIS_URL: the services meet through Redis');
  const host = options.gatewayListen.slice(0, options.gatewayListen.lastIndexOf(':'));
  const addresses = Object.fromEntries(
    PLAYGROUND_SERVICES.map((name) => [
      name,
      name === 'feed-gateway'
        ? options.gatewayListen
        : `${host}:${options.ports?.[name] ?? CONVENTIONAL_PORTS[name]}`,
    ]),
  ) as Record<PlaygroundService, string>;
  const base: Env = { ...playgroundDefaults(), ...options.env };

  if (options.interrupt?.aborted) throw abortError('interrupted before the services started');
  // Another server at an address would answer in the service's place, or make it die of
  // EADDRINUSE: refuse before starting anything.
  for (const name of PLAYGROUND_SERVICES) {
    const problem = await whyCannotListen(addresses[name]);
    if (problem !== undefined)
      throw new CommandFailedError(`${name} cannot listen at ${addresses[name]}: ${problem}`);
  }

  const children = new Map<PlaygroundService, ChildProcess>();
  const recent = new Map<PlaygroundService, string[]>();
  const exits: Partial<Record<PlaygroundService, string>> = {};
  // Until every service is SERVING, an exit fails the start (with the service's last lines);
  // after, it fails `failed`; once stopping, it is expected.
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    reportFailure = reject;
  });
  failed.catch(() => undefined);
  const exitedEarly = new AbortController();

  for (const name of PLAYGROUND_SERVICES) {
    const flags = [...SERVICE_NODE_FLAGS[name], ...(options.nodeFlags?.(name) ?? [])];
    const child = spawn(process.execPath, [...flags, await mainOf(name)], {
      env: {
        ...base,
        GRPC_LISTEN: addresses[name],
        CONSUMER_NAME: consumerNameOf(name),
        // Addresses are fixed up front, so every service may know every other (the gateway
        // calls them all; notification's reactivation and trending call three of them).
        ...downstreamEnv(addresses),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(name, child);
    const lines: string[] = [];
    recent.set(name, lines);
    forwardLines(child, name, options.output, lines);
    child.once('exit', (code, signal) => {
      exits[name] = signal ?? `code ${code}`;
      if (phase !== 'running' || options.interrupt?.aborted) return;
      reportFailure(
        new CommandFailedError(
          `${name} exited (${signal ?? `code ${code}`}); its output is above, prefixed [${name}]`,
        ),
      );
    });
    // 'close', not 'exit', so that the lines it printed last are in the message.
    child.once('close', (code, signal) => {
      if (phase !== 'starting' || exitedEarly.signal.aborted) return;
      exitedEarly.abort(
        new CommandFailedError(
          `${name} exited (${signal ?? `code ${code}`}) before it was ready; ${lastLines(name, lines)}`,
        ),
      );
    });
  }

  const stopChildren = async () => {
    phase = 'stopping';
    const gateway = children.get('feed-gateway');
    if (gateway !== undefined) await stopChild(gateway);
    await Promise.all([...children.values()].map((child) => stopChild(child)));
  };

  try {
    await untilEveryServiceServes(addresses, {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      exitedEarly: exitedEarly.signal,
      interrupt: options.interrupt,
      recent,
    });
    // A service that answered SERVING and then died is noticed here, not lost between phases.
    const gone = PLAYGROUND_SERVICES.find((name) => exits[name] !== undefined);
    if (gone !== undefined) {
      throw new CommandFailedError(
        `${gone} exited (${exits[gone]}) as it became ready; ${lastLines(gone, recent.get(gone) ?? [])}`,
      );
    }
  } catch (error) {
    await stopChildren();
    throw error;
  }
  phase = 'running';

  const runtime = createRuntime(loadConfig(runtimeConfigShape, base), options.logger);
  const registry = modelRegistryFor(runtime);
  let shutdown: Promise<void> | undefined;
  return {
    mode: 'processes',
    gatewayAddress: addresses['feed-gateway'],
    addresses,
    runtime,
    consumerGroups: consumerGroupsOf(consumerNameOf('search')),
    failed,
    exits,
    whileRunning: async (work, interrupt) => {
      const died = new AbortController();
      failed.catch((error: unknown) => died.abort(error));
      const signal = interrupt ? AbortSignal.any([interrupt, died.signal]) : died.signal;
      return Promise.race([work(signal), failed]);
    },
    train: () => trainOnce(runtime, registry, base, addresses['feature-store'], options.logger),
    // The processes' candidate generation polls the same Redis store.
    trainEmbeddings: () =>
      trainEmbeddingsOnce(runtime, embeddingStoreFor(runtime), base, options.logger),
    trainContentModels: () =>
      trainContentModelsOnce(runtime, contentModelStoreFor(runtime), base, options.logger),
    shutdown: () =>
      (shutdown ??= (async () => {
        await stopChildren();
        await runtime.close();
      })()),
  };
}

async function mainOf(service: PlaygroundService): Promise<string> {
  // The service's public face is dist/index.js; its process entry sits beside it.
  return fileURLToPath(new URL('./main.js', import.meta.resolve(`@feedmesh/${service}`)));
}

/** How many of a child's last lines a failed start quotes. */
const LAST_LINES = 10;

/** Forwards the child's lines, prefixed, and keeps its last few in `recent`. */
function forwardLines(child: ChildProcess, name: string, output: Output, recent: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      const prefixed = `[${name}] ${line}`;
      recent.push(prefixed);
      if (recent.length > LAST_LINES) recent.shift();
      output.write(`${prefixed}\n`);
    });
  }
}

function lastLines(name: string, recent: readonly string[]): string {
  if (recent.length === 0) return `${name} printed nothing`;
  return `its last lines:\n${recent.map((line) => `  ${line}`).join('\n')}`;
}

/** SIGTERM (the services drain on it), then SIGKILL if it has not exited in time. */
async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // 'close', not 'exit': it comes once the child's output is read to the end, so its last
  // lines (that it stopped) are forwarded before the playground reports it stopped.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const outcome = await Promise.race([exited.then(() => 'exited'), sleep(graceMs, 'late')]);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Why a server could not listen at `address` now (`address in use (EADDRINUSE)`), as
 * service-kit's `listenProblem` finds it; undefined when it could.
 */
export async function whyCannotListen(address: string): Promise<string | undefined> {
  const problem = await listenProblem(address);
  if (problem === undefined) return undefined;
  return problem.reason === problem.code ? problem.code : `${problem.reason} (${problem.code})`;
}

function hostAndPort(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return {
    host: address.slice(0, separator).replace(/^\[|\]$/g, ''),
    port: Number(address.slice(separator + 1)),
  };
}

interface ReadinessWatch {
  readonly timeoutMs: number;
  /** Aborted, with the error to fail with, when a child exits before it is ready. */
  readonly exitedEarly: AbortSignal;
  readonly interrupt: AbortSignal | undefined;
  /** Each service's last lines, for the message when one is not ready in time. */
  readonly recent: ReadonlyMap<PlaygroundService, readonly string[]>;
}

/**
 * Waits until every service answers SERVING to a grpc.health.v1 Check at its address: what a
 * Kubernetes readiness probe asks. A port that accepts connections is not enough: service-kit
 * checks that the port is free by listening on it for a moment before the gRPC server binds,
 * and something else may hold it. Rejects when a child exits first, when `timeoutMs` passes
 * (naming each service not SERVING, with what it last answered and printed), or with an
 * AbortError on `interrupt`.
 */
async function untilEveryServiceServes(
  addresses: Readonly<Record<PlaygroundService, string>>,
  watch: ReadinessWatch,
): Promise<void> {
  const stop = new AbortController();
  const answers = new Map<PlaygroundService, string>();
  const notServing = new Set<PlaygroundService>(PLAYGROUND_SERVICES);
  const probes = PLAYGROUND_SERVICES.map((name) =>
    untilServing(addresses[name], stop.signal, (answer) => answers.set(name, answer)).then(
      (serving) => {
        if (serving) notServing.delete(name);
      },
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const ended = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const late = [...notServing].map(
        (name) =>
          `${name} was not SERVING at ${addresses[name]} within ${watch.timeoutMs} ms ` +
          `(grpc.health.v1 Check: ${answers.get(name) ?? 'not asked yet'}); ` +
          lastLines(name, watch.recent.get(name) ?? []),
      );
      reject(new CommandFailedError(late.join('\n')));
    }, watch.timeoutMs);
    onAbort = () => {
      if (watch.exitedEarly.aborted) reject(watch.exitedEarly.reason);
      else if (watch.interrupt?.aborted)
        reject(abortError('interrupted while the services started'));
    };
    watch.exitedEarly.addEventListener('abort', onAbort);
    watch.interrupt?.addEventListener('abort', onAbort);
    onAbort();
  });
  try {
    await Promise.race([Promise.all(probes), ended]);
  } finally {
    clearTimeout(timer);
    watch.exitedEarly.removeEventListener('abort', onAbort);
    watch.interrupt?.removeEventListener('abort', onAbort);
    stop.abort();
    await Promise.allSettled(probes);
  }
}

/** How long between two looks at a service that is not SERVING yet, ms. */
const READINESS_POLL_MS = 100;

/**
 * Asks `address` until it answers SERVING (true), or `stop` aborts (false). The Check is made
 * once something accepts connections there: a gRPC channel that fails to connect backs off
 * (1 s, then 1.6 times longer each time), and a start that takes a minute would then be seen
 * ready long after it was.
 */
async function untilServing(
  address: string,
  stop: AbortSignal,
  answered: (answer: string) => void,
): Promise<boolean> {
  const { host, port } = hostAndPort(address);
  let probe: HealthProbe | undefined;
  try {
    while (!stop.aborted) {
      if (!(await acceptsConnections(host, port))) {
        answered('nothing accepts connections there');
      } else {
        probe ??= healthProbe(address);
        try {
          const status = await probe.check(stop);
          if (status === 'SERVING') return true;
          answered(status);
        } catch (error) {
          if (stop.aborted) break;
          answered(describeCheckFailure(error));
        }
      }
      await sleep(READINESS_POLL_MS, undefined, { signal: stop }).catch(() => undefined);
    }
    return false;
  } finally {
    probe?.close();
  }
}

function describeCheckFailure(error: unknown): string {
  if (error instanceof ClientError) {
    return `${Status[error.code] ?? error.code}: ${withoutResolutionNote(error.details)}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Whether a TCP connection to host:port is accepted now. */
function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function abortError(message: string): Error {
  return new DOMException(message, 'AbortError');
}
