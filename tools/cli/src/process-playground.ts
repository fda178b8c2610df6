import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { contentModelStoreFor } from '@feedmesh/content';
import { embeddingStoreFor } from '@feedmesh/embeddings';
import { modelRegistryFor } from '@feedmesh/models';
import {
  createRuntime,
  listenProblem,
  loadConfig,
  runtimeConfigShape,
  type Logger,
} from '@feedmesh/service-kit';
import type { Output } from './cli-io.js';
import { CommandFailedError } from './cli-errors.js';
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
  /** How long a child gets to start listening, ms. */
  readonly startTimeoutMs?: number;
  /**
   * Ctrl-C: once aborted, a child exiting is expected. The terminal sends SIGINT to the whole
   * foreground process group, so the children start draining on their own.
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
 * *_ADDR variables and REDIS_URL, forwards their logs prefixed, and waits until each listens.
 * The trainer runs in this process against the same Redis.
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

  // Readiness is something accepting connections at the address: were that another server,
  // the service would die of EADDRINUSE after the playground had reported it listening.
  for (const name of PLAYGROUND_SERVICES) {
    const problem = await whyCannotListen(addresses[name]);
    if (problem !== undefined)
      throw new CommandFailedError(`${name} cannot listen at ${addresses[name]}: ${problem}`);
  }

  const children = new Map<PlaygroundService, ChildProcess>();
  const exits: Partial<Record<PlaygroundService, string>> = {};
  let stopping = false;
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    reportFailure = reject;
  });
  failed.catch(() => undefined);

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
    forwardLines(child, name, options.output);
    child.once('exit', (code, signal) => {
      exits[name] = signal ?? `code ${code}`;
      if (stopping || options.interrupt?.aborted) return;
      reportFailure(
        new CommandFailedError(
          `${name} exited (${signal ?? `code ${code}`}); its output is above, prefixed [${name}]`,
        ),
      );
    });
  }

  const stopChildren = async () => {
    stopping = true;
    const gateway = children.get('feed-gateway');
    if (gateway !== undefined) await stopChild(gateway);
    await Promise.all([...children.values()].map((child) => stopChild(child)));
  };

  try {
    await Promise.race([
      Promise.all(
        PLAYGROUND_SERVICES.map((name) =>
          waitUntilListening(addresses[name], options.startTimeoutMs ?? 60_000, name),
        ),
      ),
      failed,
    ]);
  } catch (error) {
    await stopChildren();
    throw error;
  }

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

function forwardLines(child: ChildProcess, name: string, output: Output): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
      output.write(`[${name}] ${line}\n`),
    );
  }
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

/** Polls until something accepts TCP connections at `address`: the server is listening. */
async function waitUntilListening(address: string, timeoutMs: number, name: string): Promise<void> {
  const { host, port } = hostAndPort(address);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) {
      throw new CommandFailedError(
        `${name} did not start listening at ${address} within ${timeoutMs} ms`,
      );
    }
    await sleep(100);
  }
}
