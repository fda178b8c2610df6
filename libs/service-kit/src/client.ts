import {
  createChannel,
  createClientFactory,
  type Channel,
  type Client,
  type CompatServiceDefinition,
} from 'nice-grpc';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware, type RetryOptions } from 'nice-grpc-client-middleware-retry';
import { Metadata, Status, type CallOptions, type ClientMiddlewareCall } from 'nice-grpc-common';
import { clientTelemetry } from './telemetry.js';
import { channelCredentials, type TlsMaterial } from './tls.js';

export type ServiceClient<D extends CompatServiceDefinition> = Client<
  D,
  DeadlineOptions & RetryOptions
>;

export interface ClientOptions {
  /** Every call gets this deadline unless the call names its own, ms. */
  readonly deadlineMs: number;
  /** Attempts for idempotent methods (marked in the proto); other methods are never retried. */
  readonly retryMaxAttempts?: number;
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
  close(): void;
}

/**
 * A typed client with the mesh's defaults: a deadline on every call, retries with backoff on
 * UNAVAILABLE for methods the proto marks idempotent, and trace context carried across.
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
  });
  const client = createClientFactory()
    .use(bearerToken(options.bearerToken))
    .use(clientTelemetry())
    .use(retryMiddleware)
    .use(deadlineMiddleware)
    .create(definition, channel, {
      '*': {
        deadline: options.deadlineMs,
        retryMaxAttempts: options.retryMaxAttempts ?? 2,
        retryBaseDelayMs: 25,
        retryMaxDelayMs: 250,
        retryableStatuses: [Status.UNAVAILABLE],
      },
    }) as ServiceClient<D>;
  return { client, channel, close: () => channel.close() };
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
