import {
  createChannel,
  createClientFactory,
  type Channel,
  type Client,
  type CompatServiceDefinition,
} from 'nice-grpc';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware, type RetryOptions } from 'nice-grpc-client-middleware-retry';
import { Status } from 'nice-grpc-common';
import { clientTelemetry } from './telemetry.js';

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
  const channel = createChannel(address, undefined, {
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
  });
  const client = createClientFactory()
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
