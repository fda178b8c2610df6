import { isAbortError } from 'abort-controller-x';
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc-common';

/**
 * Gives every handler one signal that fires when the client goes away, when a unary call
 * runs past the server's own time limit, or (for streams, which would otherwise hold a
 * drain open forever) when the server starts draining.
 */
export function callLimitsMiddleware(options: { unaryTimeoutMs: number; draining: AbortSignal }) {
  return async function* callLimits<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const controller = new AbortController();
    let cause: 'client' | 'timeout' | 'drain' | undefined;
    const abort = (why: typeof cause) => () => {
      cause ??= why;
      controller.abort();
    };
    const onClientAbort = abort('client');
    const onDrain = abort('drain');
    context.signal.addEventListener('abort', onClientAbort);
    if (context.signal.aborted) onClientAbort();
    const streaming = call.responseStream || call.requestStream;
    if (streaming) {
      options.draining.addEventListener('abort', onDrain);
      if (options.draining.aborted) onDrain();
    }
    const timer = streaming ? undefined : setTimeout(abort('timeout'), options.unaryTimeoutMs);
    try {
      return yield* call.next(call.request, { ...context, signal: controller.signal });
    } catch (error) {
      if (isAbortError(error) && cause === 'timeout') {
        throw new ServerError(
          Status.DEADLINE_EXCEEDED,
          `call exceeded the server limit of ${options.unaryTimeoutMs} ms`,
        );
      }
      if (isAbortError(error) && cause === 'drain') {
        throw new ServerError(Status.UNAVAILABLE, 'server is shutting down; reconnect');
      }
      throw error;
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onClientAbort);
      options.draining.removeEventListener('abort', onDrain);
    }
  };
}
