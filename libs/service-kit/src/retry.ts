import { meter } from '@feedmesh/telemetry';
import { delay, rethrowAbortError } from 'abort-controller-x';
import {
  ClientError,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ClientMiddlewareCall,
} from 'nice-grpc-common';

/** Per-call retry options: nice-grpc-client-middleware-retry's names and meanings. */
export interface RetryOptions {
  /** Retry this call; default: when the proto marks the method idempotent. */
  retry?: boolean;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Retries after the first call (not attempts): 2 is up to 3 calls. */
  retryMaxAttempts?: number;
  /** Default UNAVAILABLE alone (the library's also retried UNKNOWN, INTERNAL and CANCELLED). */
  retryableStatuses?: readonly Status[];
  onRetryableError?(error: ClientError, attempt: number, delayMs: number): void;
}

/**
 * gRPC's retry throttling (gRFC A6): a client's bucket starts at `maxTokens`; an attempt that
 * fails with a retryable status takes one token, one that succeeds gives back `tokenRatio`;
 * no retry is made while the bucket holds half of `maxTokens` or less. Retries then cost a
 * struggling downstream at most about `tokenRatio` more calls per call, instead of
 * multiplying its load by the attempts at every hop while it is down or shedding load.
 */
export interface RetryThrottleOptions {
  readonly maxTokens: number;
  readonly tokenRatio: number;
}

export const DEFAULT_RETRY_THROTTLE: RetryThrottleOptions = { maxTokens: 10, tokenRatio: 0.1 };

export class RetryThrottle {
  private tokens: number;
  /** Retries not made because the bucket was at or below half, since the client was made. */
  throttled = 0;

  constructor(private readonly options: RetryThrottleOptions) {
    if (!(options.maxTokens > 0 && options.maxTokens <= 1000)) {
      throw new RangeError(
        `retryThrottle.maxTokens: must be in (0, 1000], got ${options.maxTokens}`,
      );
    }
    if (!(options.tokenRatio > 0 && options.tokenRatio <= 1)) {
      throw new RangeError(
        `retryThrottle.tokenRatio: must be in (0, 1], got ${options.tokenRatio}`,
      );
    }
    this.tokens = options.maxTokens;
  }

  succeeded(): void {
    this.tokens = Math.min(this.options.maxTokens, this.tokens + this.options.tokenRatio);
  }

  failed(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** Whether a retry may be made now. */
  allows(): boolean {
    const allowed = this.tokens > this.options.maxTokens / 2;
    if (!allowed) this.throttled += 1;
    return allowed;
  }
}

/**
 * Retries unary calls as nice-grpc-client-middleware-retry does (exponential backoff with
 * jitter, idempotent methods only by default), each retry also asking `throttle`.
 */
export function retryMiddleware(
  throttle: RetryThrottle | undefined,
): ClientMiddleware<RetryOptions> {
  return async function* retry<Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions & RetryOptions,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const { idempotencyLevel } = call.method.options;
    const idempotent = idempotencyLevel === 'IDEMPOTENT' || idempotencyLevel === 'NO_SIDE_EFFECTS';
    const {
      retry = idempotent,
      retryBaseDelayMs = 1000,
      retryMaxDelayMs = 30_000,
      retryMaxAttempts = 1,
      retryableStatuses = [Status.UNAVAILABLE],
      onRetryableError,
      ...rest
    } = options;
    if (call.requestStream || call.responseStream || !retry) {
      return yield* call.next(call.request, rest);
    }
    const signal = options.signal ?? new AbortController().signal;
    for (let attempt = 0; ; attempt++) {
      try {
        const response = yield* call.next(call.request, rest);
        throttle?.succeeded();
        return response;
      } catch (error) {
        rethrowAbortError(error);
        const retryable = error instanceof ClientError && retryableStatuses.includes(error.code);
        if (retryable) throttle?.failed();
        if (!retryable || attempt >= retryMaxAttempts) throw error;
        if (throttle && !throttle.allows()) {
          countThrottled(call.method.path);
          throw error;
        }
        const backoff = Math.min(retryMaxDelayMs, 2 ** attempt * retryBaseDelayMs);
        const delayMs = Math.round((backoff * (1 + Math.random())) / 2);
        onRetryableError?.(error, attempt, delayMs);
        await delay(signal, delayMs);
      }
    }
  };
}

let throttledCounter: { meter: ReturnType<typeof meter>; add(method: string): void } | undefined;

/** `rpc.client.retries_throttled`, by method: retries a client's throttle did not make. */
function countThrottled(method: string): void {
  const current = meter();
  if (throttledCounter?.meter !== current) {
    const counter = current.createCounter('rpc.client.retries_throttled', {
      description: "Retries not made because the client's retry throttle was at half or below.",
      unit: '{retry}',
    });
    throttledCounter = { meter: current, add: (m) => counter.add(1, { 'rpc.method': m }) };
  }
  throttledCounter.add(method);
}
