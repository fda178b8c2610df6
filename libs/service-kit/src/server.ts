import { feedmeshDescriptorSet } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { listenProblem } from './free-ports.js';
import { status as grpcStatus, type ServerCredentials } from '@grpc/grpc-js';
import {
  createServer,
  type CompatServiceDefinition,
  type Server,
  type ServerMiddleware,
  type ServiceImplementation,
} from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
import { callLimitsMiddleware, SHUTTING_DOWN } from './call-limits.js';
import { inFlightCalls } from './in-flight-calls.js';
import { callDeadlineInterceptor } from './call-deadline.js';
import { errorMappingMiddleware } from './error-mapping.js';
import type { Logger } from './logger.js';
import { serverTelemetry } from './telemetry.js';
import { undecodableRequestMiddleware, withTolerantDecoding } from './undecodable-request.js';
import { serverCredentials, type TlsMaterial } from './tls.js';

/** One gRPC service to serve: its generated definition and a plain implementation object. */
export interface ServiceBinding {
  readonly fullName: string;
  add(server: Server): void;
}

/** Pairs a definition with its implementation, type-checked against the contract. */
export function bindService<D extends CompatServiceDefinition & { fullName: string }>(
  definition: D,
  implementation: ServiceImplementation<D>,
): ServiceBinding {
  return {
    fullName: definition.fullName,
    add: (server) => server.add(withTolerantDecoding(definition), implementation),
  };
}

export interface GrpcServerOptions {
  /** The service's name in logs, traces and metrics, e.g. "ranker". */
  readonly name: string;
  readonly listen: string;
  readonly maxMessageBytes: number;
  /** Unary calls are cut off after this long, ms (streams are not). */
  readonly unaryTimeoutMs: number;
  /**
   * On shutdown, unary calls get this long to finish before the server is forced down, ms.
   * Streams do not wait for it: they are ended with UNAVAILABLE when the drain starts.
   */
  readonly drainTimeoutMs: number;
  /**
   * On shutdown, a stream whose client stopped reading (a message waiting, and not a byte of
   * its connection sent) for this long is stalled, ms; default 2 000. Once only stalled streams
   * are left, they are ended with UNAVAILABLE. A client reading slowly is not stalled.
   */
  readonly stalledStreamMs?: number | undefined;
  /**
   * How long the UNAVAILABLE status of a stalled stream, queued behind its unread messages,
   * waits for its client to read again before its connection is closed, ms; default 1 000.
   * The stall and the grace both count within `drainTimeoutMs`.
   */
  readonly stalledStreamGraceMs?: number | undefined;
  readonly services: readonly ServiceBinding[];
  readonly logger: Logger;
  /** A plaintext listener serving only grpc.health.v1, for probes when the main port uses mTLS. */
  readonly healthListen?: string | undefined;
  /** The variable `listen` came from, named when it cannot be bound; GRPC_LISTEN by default. */
  readonly listenVariable?: string | undefined;
  /** The variable `healthListen` came from; GRPC_HEALTH_LISTEN by default. */
  readonly healthListenVariable?: string | undefined;
  /** Close connections gracefully after this long (0 or undefined: never), ms. */
  readonly maxConnectionAgeMs?: number | undefined;
  /**
   * Each connection is pinged after this long without traffic, ms; default 30 000. A client
   * that vanished without closing (node lost, partition) is dropped when the ping goes
   * unanswered for `keepaliveTimeoutMs` (default 10 000), so its streams end instead of
   * holding handlers open forever. (grpc-js servers enforce no ping policy of their own: the
   * clients' pings, every 20 s by default, are always accepted.)
   */
  readonly keepaliveTimeMs?: number | undefined;
  readonly keepaliveTimeoutMs?: number | undefined;
  /** Mutual TLS material (see tls.ts); plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /** Runs after error mapping, before the handler: authentication, for the gateway. */
  readonly middleware?: readonly ServerMiddleware[];
  /** Runs after the server stopped taking calls: stop consumers, close connections. */
  readonly onShutdown?: () => Promise<void>;
}

export interface RunningServer {
  /** host:port actually bound (port 0 resolved). */
  readonly address: string;
  readonly port: number;
  /** host:port of the plaintext health listener, when there is one. */
  readonly healthAddress?: string | undefined;
  readonly health: HealthState;
  /**
   * Stops taking calls, ends streams with UNAVAILABLE, lets unary calls finish, then closes.
   * A stream whose client stopped reading cannot be sent its status (it waits behind messages
   * the client does not take): once the unary calls are done and such streams have sent
   * nothing for `stalledStreamMs`, their status is queued, and after `stalledStreamGraceMs`
   * their connections are closed, which their clients report as UNAVAILABLE.
   */
  shutdown(reason?: string): Promise<void>;
}

/**
 * grpc-js refuses an address in use and an unresolvable host alike with "No address added
 * out of total N resolved" (and logs it on stderr); the reason is only in its trace log. So
 * the address is tried first with a plain socket, and a refusal names the variable and why.
 */
async function listenAt(
  server: Server,
  address: string,
  variable: string,
  credentials?: ServerCredentials,
): Promise<number> {
  const problem = await listenProblem(address);
  try {
    if (problem !== undefined) throw new Error(problem.reason);
    return await server.listen(address, credentials);
  } catch (error) {
    throw new ConfigError(variable, `cannot listen at ${address}: ${(error as Error).message}`);
  }
}

/**
 * Starts a gRPC server with what every Feedmesh service has: grpc.health.v1, server
 * reflection, telemetry, error mapping, call time limits, the caller's deadline for handlers
 * (callDeadline) and a graceful drain.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningServer> {
  const draining = new AbortController();
  const calls = inFlightCalls();
  let server: Server = createServer({
    // The in-flight tracker first: it reaches the connection through grpc-js's own call object.
    // Then the caller's deadline, which handlers read with callDeadline(context).
    interceptors: [calls.interceptor, callDeadlineInterceptor],
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? 30_000,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? 10_000,
    ...(options.maxConnectionAgeMs
      ? {
          'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
          // Streams (Subscribe) get the drain timeout to finish before the connection goes.
          'grpc.max_connection_age_grace_ms': options.drainTimeoutMs,
        }
      : {}),
  })
    .use(serverTelemetry(options.name))
    .use(undecodableRequestMiddleware)
    .use(errorMappingMiddleware(options.logger));
  for (const middleware of options.middleware ?? []) server = server.use(middleware);
  server = server.use(
    callLimitsMiddleware({ unaryTimeoutMs: options.unaryTimeoutMs, draining: draining.signal }),
  );

  const health = HealthState();
  server.add(HealthDefinition, HealthServiceImpl(health));
  const names = options.services.map((s) => s.fullName);
  server.add(ServerReflectionService, ServerReflection(feedmeshDescriptorSet(), names));
  for (const service of options.services) service.add(server);

  const port = await listenAt(
    server,
    options.listen,
    options.listenVariable ?? 'GRPC_LISTEN',
    serverCredentials(options.tls),
  );
  const address = `${hostOf(options.listen)}:${port}`;
  const healthServer = options.healthListen ? createServer() : undefined;
  let healthAddress: string | undefined;
  if (healthServer && options.healthListen) {
    healthServer.add(HealthDefinition, HealthServiceImpl(health));
    let healthPort: number;
    try {
      healthPort = await listenAt(
        healthServer,
        options.healthListen,
        options.healthListenVariable ?? 'GRPC_HEALTH_LISTEN',
      );
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
    healthAddress = `${hostOf(options.healthListen)}:${healthPort}`;
  }
  for (const name of names) health.setStatus('healthy', name);
  options.logger.info({ address, healthAddress, services: names }, `${options.name} listening`);

  let stopping: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') =>
    (stopping ??= (async () => {
      options.logger.info({ reason }, `${options.name} draining`);
      health.setStatus('unhealthy');
      for (const name of names) health.setStatus('unhealthy', name);
      // A turn of the event loop first, for Watch streams to send NOT_SERVING: the drain ends
      // them at once, and a watcher saw only the stream fail.
      await new Promise((resolve) => setImmediate(resolve));
      draining.abort();
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<'forced'>((resolve) => {
        timer = setTimeout(() => resolve('forced'), options.drainTimeoutMs);
      });
      // A stream ends at once unless its client stopped reading: then its status waits behind
      // a message that never goes. Once only such streams are left, their status is queued
      // (for a client that reads again) and after a grace their connections are closed: plainly,
      // not with grpc-js's forceShutdown (CANCEL), so that their clients see UNAVAILABLE. The
      // drain then ends as any other, once the last connection is closed.
      const drained = server.shutdown();
      let stalledStreamsEnded = false;
      const stalledStreamMs = options.stalledStreamMs ?? 2_000;
      const graceMs = options.stalledStreamGraceMs ?? 1_000;
      calls
        .onlyStalledStreamsLeft(stalledStreamMs)
        .then(async (streams) => {
          options.logger.info(
            { streams, stalledStreamMs },
            'unary calls done; ending with UNAVAILABLE the streams whose clients stopped reading',
          );
          stalledStreamsEnded = true;
          const status = { code: grpcStatus.UNAVAILABLE, details: SHUTTING_DOWN, metadata: null };
          const connections = await calls.endRemainingCalls(status, graceMs);
          if (connections > 0) {
            options.logger.info(
              { connections, graceMs },
              'closed the connections of streams still not read after the grace',
            );
          }
        })
        .catch((error: unknown) =>
          options.logger.error({ err: error }, 'ending stalled streams failed'),
        );
      const outcome = await Promise.race([
        drained.then(() => (stalledStreamsEnded ? 'stalled streams ended' : 'drained')),
        forced,
      ]);
      clearTimeout(timer);
      if (outcome === 'forced') {
        options.logger.warn(
          { drainTimeoutMs: options.drainTimeoutMs },
          'drain timed out; forcing shutdown',
        );
        server.forceShutdown();
      }
      healthServer?.forceShutdown();
      await options.onShutdown?.();
      options.logger.info({ outcome }, `${options.name} stopped`);
    })());

  return { address, port, healthAddress, health, shutdown };
}

function hostOf(listen: string): string {
  return listen.slice(0, listen.lastIndexOf(':'));
}

/** Drains the server on SIGTERM or SIGINT, then exits. Returns a function that uninstalls it. */
export function shutdownOnSignals(server: RunningServer, logger: Logger): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    server.shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
