import {
  createChannel,
  createClientFactory,
  type Channel,
  type Client,
  type CompatServiceDefinition,
} from 'nice-grpc';
import type { DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import {
  ClientError,
  Metadata,
  Status,
  type CallOptions,
  type ClientMiddlewareCall,
} from 'nice-grpc-common';
import {
  DEFAULT_RETRY_THROTTLE,
  RetryThrottle,
  retryMiddleware,
  type RetryOptions,
  type RetryThrottleOptions,
} from './retry.js';
import { clientTelemetry } from './telemetry.js';
import { channelCredentials, type TlsMaterial } from './tls.js';

export type ServiceClient<D extends CompatServiceDefinition> = Client<
  D,
  DeadlineOptions & RetryOptions
>;

export interface ClientOptions {
  /** Every call gets this deadline unless the call names its own, ms. */
  readonly deadlineMs: number;
  /**
   * Retries after the first call, for idempotent methods (marked in the proto) that failed
   * with UNAVAILABLE: `maxRetries: 2` means up to 3 calls, `0` no retry. Default 2. Other
   * methods are never retried. All calls share the one deadline.
   */
  readonly maxRetries?: number;
  /**
   * @deprecated The old name of `maxRetries`, which it means (retries, not attempts: 2 is up
   * to 3 calls); `maxRetries` wins when both are set.
   */
  readonly retryMaxAttempts?: number;
  /**
   * Retry throttling, per client (gRFC A6): an attempt failing with UNAVAILABLE takes a token,
   * a success gives back `tokenRatio`, and no retry is made while half of `maxTokens` or fewer
   * are left, so a downstream that is down or shedding load gets about one call per call, not
   * one per attempt at every hop. Default `{ maxTokens: 10, tokenRatio: 0.1 }`; `false` retries
   * every failed attempt up to `maxRetries`.
   */
  readonly retryThrottle?: RetryThrottleOptions | false;
  /**
   * A connection with calls in flight is pinged after this long without traffic, ms; default
   * 20 000. A peer that vanished without closing the connection (node lost, a partition, a
   * proxy that drops bytes) is noticed by the ping going unanswered, and the channel
   * reconnects instead of failing every call on a dead connection until the OS gives up.
   */
  readonly keepaliveTimeMs?: number;
  /** How long a keepalive ping may go unanswered before the connection is dropped, ms; default 10 000. */
  readonly keepaliveTimeoutMs?: number;
  readonly maxMessageBytes?: number;
  /**
   * The HTTP/2 receive window the client advertises, bytes. Default 4 MiB: with grpc-js's
   * 64 KiB a response of a few hundred kilobytes (GetFeatures, Generate) stalls until the
   * client's WINDOW_UPDATE reaches the server, a round trip that a busy event loop delays.
   */
  readonly flowControlWindowBytes?: number;
  /** Mutual TLS material; plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /** Sent as `authorization: Bearer <token>` on every call (the gateway's internal callers). */
  readonly bearerToken?: string | undefined;
}

export interface ClientHandle<D extends CompatServiceDefinition> {
  readonly client: ServiceClient<D>;
  readonly channel: Channel;
  /** The client's retry throttle (its `throttled` count), undefined when turned off. */
  readonly retryThrottle: RetryThrottle | undefined;
  close(): void;
}

/**
 * A typed client with the mesh's defaults: a deadline on every call, retries with backoff on
 * UNAVAILABLE for methods the proto marks idempotent (throttled per client), and trace
 * context carried across.
 */
export function createServiceClient<D extends CompatServiceDefinition>(
  definition: D,
  address: string,
  options: ClientOptions,
): ClientHandle<D> {
  const maxBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const channel = createChannel(address, channelCredentials(options.tls), {
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    'grpc-node.flow_control_window': options.flowControlWindowBytes ?? 4 * 1024 * 1024,
    // Pings only while calls are in flight (grpc.keepalive_permit_without_calls stays 0): an
    // idle connection costs nothing, and the first call on a dead one starts the ping.
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? 20_000,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? 10_000,
  });
  const throttle =
    options.retryThrottle === false
      ? undefined
      : new RetryThrottle(options.retryThrottle ?? DEFAULT_RETRY_THROTTLE);
  // The last `use` is the outermost: one deadline over all the retries, each attempt traced.
  const client = createClientFactory()
    .use(bearerToken(options.bearerToken))
    .use(clientTelemetry(address))
    .use(retryMiddleware(throttle))
    .use(deadline)
    .create(definition, channel, {
      '*': {
        deadline: options.deadlineMs,
        retryMaxAttempts: options.maxRetries ?? options.retryMaxAttempts ?? 2,
        retryBaseDelayMs: 25,
        retryMaxDelayMs: 250,
        retryableStatuses: [Status.UNAVAILABLE],
      },
    }) as ServiceClient<D>;
  return { client, channel, retryThrottle: throttle, close: () => channel.close() };
}

/** Adds the caller's token to every call; a no-op without one. */
function bearerToken(token: string | undefined) {
  return async function* withToken<Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions,
  ): AsyncGenerator<Response, Response | void, undefined> {
    if (token === undefined) return yield* call.next(call.request, options);
    const metadata = Metadata(options.metadata).set('authorization', `Bearer ${token}`);
    return yield* call.next(call.request, { ...options, metadata });
  };
}

/**
 * nice-grpc-client-middleware-deadline's contract (a `deadline` option, a ClientError with
 * DEADLINE_EXCEEDED when it passes), except that the call's signal is aborted with that error
 * as its reason: the attempt in flight then fails with DEADLINE_EXCEEDED itself, so its span
 * and rpc.client.duration (recorded inside, per attempt) say so, not CANCELLED.
 */
async function* deadline<Request, Response>(
  call: ClientMiddlewareCall<Request, Response>,
  options: CallOptions & DeadlineOptions,
): AsyncGenerator<Response, Response | void, undefined> {
  const { deadline: at, signal: outer, ...rest } = options;
  if (at == null || outer?.aborted)
    return yield* call.next(call.request, { ...rest, signal: outer });
  const controller = new AbortController();
  const expired = new ClientError(call.method.path, Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort);
  const ms = at instanceof Date ? at.getTime() - Date.now() : at;
  const timer = setTimeout(() => controller.abort(expired), ms);
  try {
    return yield* call.next(call.request, { ...rest, signal: controller.signal });
  } finally {
    outer?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    // As the library does: once the deadline passed, the call ends with it whatever else happened.
    if (controller.signal.reason === expired) throw expired;
  }
}
