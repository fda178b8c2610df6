import { isAbortError } from 'abort-controller-x';
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc-common';

/** What a call the drain ends is told (UNAVAILABLE): the client should resume elsewhere. */
export const SHUTTING_DOWN = 'server is shutting down; reconnect';

/**
 * Gives every handler one signal that fires when the client goes away, when a unary call
 * runs past the server's own time limit, or (for streams, which would otherwise hold a
 * drain open forever) when the server starts draining. A stream still open when the drain
 * starts is ended with UNAVAILABLE there and then, whether or not its handler heeds the
 * signal (reflection's does not while it waits for the client's next request).
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
      const handler = call.next(call.request, { ...context, signal: controller.signal });
      return yield* streaming ? endOnDrain(handler, options.draining) : handler;
    } catch (error) {
      if (isAbortError(error) && cause === 'timeout') {
        throw new ServerError(
          Status.DEADLINE_EXCEEDED,
          `call exceeded the server limit of ${options.unaryTimeoutMs} ms`,
        );
      }
      if (isAbortError(error) && cause === 'drain') {
        throw new ServerError(Status.UNAVAILABLE, SHUTTING_DOWN);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onClientAbort);
      options.draining.removeEventListener('abort', onDrain);
    }
  };
}

/**
 * Passes the handler's messages on until it ends or the drain starts; then the call ends with
 * UNAVAILABLE at once, and the handler is told to return whenever it next can.
 */
async function* endOnDrain<Response>(
  handler: AsyncGenerator<Response, Response | void, undefined>,
  draining: AbortSignal,
): AsyncGenerator<Response, Response | void, undefined> {
  let onDrain = () => {};
  const drained = new Promise<'drained'>((resolve) => {
    onDrain = () => resolve('drained');
  });
  draining.addEventListener('abort', onDrain);
  if (draining.aborted) onDrain();
  let ended = false;
  try {
    for (;;) {
      const step = await Promise.race([handler.next(), drained]);
      if (step === 'drained') throw new ServerError(Status.UNAVAILABLE, SHUTTING_DOWN);
      if (step.done) {
        ended = true;
        return step.value;
      }
      yield step.value;
    }
  } finally {
    draining.removeEventListener('abort', onDrain);
    // Queued behind the handler's pending step, if any; settles when the handler gets there.
    if (!ended) handler.return(undefined).catch(() => {});
  }
}
