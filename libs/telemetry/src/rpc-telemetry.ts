/**
 * gRPC traces and metrics as nice-grpc middleware. Traces come from nice-grpc-opentelemetry, which
 * carries the W3C trace context in call metadata; the inner middleware here adds the acting
 * service and RPC metrics.
 *
 * Metrics follow the RPC semantic conventions that nice-grpc-opentelemetry's spans use:
 * `rpc.server.duration` / `rpc.client.duration` histograms in milliseconds, attributed with
 * rpc.system, rpc.service, rpc.method and rpc.grpc.status_code (plus feedmesh.service). One
 * histogram per side carries all three signals: its count is the request rate, its count where
 * the status code is not 0 is the error rate by code, its buckets are the latency.
 */
import {
  context,
  metrics,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Histogram,
  type MeterProvider,
} from '@opentelemetry/api';
import {
  ClientError,
  composeClientMiddleware,
  composeServerMiddleware,
  ServerError,
  Status,
  type CallContext,
  type ClientMiddleware,
  type ServerMiddleware,
  type ServerMiddlewareCall,
} from 'nice-grpc-common';
import {
  openTelemetryClientMiddleware,
  openTelemetryServerMiddleware,
} from 'nice-grpc-opentelemetry';
import { actingService, ATTR_FEEDMESH_SERVICE, withActingService } from './acting-service.js';
import { bindAsyncGenerator } from './bind-async-generator.js';
import { INSTRUMENTATION_SCOPE } from './spans.js';

/**
 * Traces and measures every call a server handles. Attach it first (outermost), so that errors
 * mapped to status codes by later middleware are seen with their codes.
 */
export function serverTelemetryMiddleware(serviceLabel: string): ServerMiddleware {
  return composeServerMiddleware(openTelemetryServerMiddleware(), async function* <
    Request,
    Response,
  >(call: ServerMiddlewareCall<Request, Response>, callContext: CallContext) {
    // The server span's parent comes from the caller's metadata, so it cannot inherit the label.
    const span = trace.getActiveSpan();
    span?.setAttribute(ATTR_FEEDMESH_SERVICE, serviceLabel);
    if (span) keepCallerErrorsOffServerSpan(span);
    const started = performance.now();
    // Unset if the stream is ended from outside: nice-grpc returns it, without an error, when the
    // caller cancels while the server waits to write. That call did not succeed.
    let code: Status | undefined;
    try {
      const handler: AsyncGenerator<Response, Response | void, undefined> = call.next(
        call.request,
        callContext,
      );
      const response = yield* bindAsyncGenerator(
        withActingService(context.active(), serviceLabel),
        handler,
      );
      code = Status.OK;
      return response;
    } catch (error) {
      code = statusOf(error, ServerError);
      throw error;
    } finally {
      // A handler that finishes after its caller cancelled answered no one.
      if (code === undefined || (code === Status.OK && callContext.signal.aborted)) {
        code = Status.CANCELLED;
      }
      record('server', call.method.path, code, performance.now() - started, serviceLabel);
    }
  });
}

/**
 * Traces and measures every call a client makes, one span and one measurement per attempt when
 * it sits inside retry and deadline middleware. A deadline is recorded as DEADLINE_EXCEEDED
 * only if the deadline middleware aborts the call's signal with that ClientError as its reason
 * (service-kit's does); a bare abort is recorded as CANCELLED.
 */
export function clientTelemetryMiddleware(): ClientMiddleware {
  return composeClientMiddleware(openTelemetryClientMiddleware(), async function* (call, options) {
    const started = performance.now();
    // A caller that stops reading a stream early ends the call without an error: that is a cancel.
    let code = Status.CANCELLED;
    try {
      const response = yield* call.next(call.request, options);
      code = Status.OK;
      return response;
    } catch (error) {
      code = statusOf(error, ClientError);
      throw error;
    } finally {
      record('client', call.method.path, code, performance.now() - started, actingService());
    }
  });
}

function record(
  side: 'server' | 'client',
  path: string,
  code: Status,
  ms: number,
  service: string | undefined,
): void {
  // path is `/package.Service/Method`.
  const [, rpcService = '', rpcMethod = ''] = path.split('/');
  const attributes: Attributes = {
    'rpc.system': 'grpc',
    'rpc.service': rpcService,
    'rpc.method': rpcMethod,
    'rpc.grpc.status_code': code,
  };
  if (service !== undefined) attributes[ATTR_FEEDMESH_SERVICE] = service;
  instruments()[side].record(ms, attributes);
}

let cached: { provider: MeterProvider; server: Histogram; client: Histogram } | undefined;

/**
 * Made on first use, and again if the global provider changed: a histogram taken from the no-op
 * provider (middleware built before startTelemetry) would record nothing, ever.
 */
function instruments(): { server: Histogram; client: Histogram } {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
    const histogram = (side: 'server' | 'client') =>
      meter.createHistogram(`rpc.${side}.duration`, {
        description: `Duration of gRPC calls ${side === 'server' ? 'handled' : 'made'}, by method and status code.`,
        unit: 'ms',
        advice: {
          explicitBucketBoundaries: [
            1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
          ],
        },
      });
    cached = { provider, server: histogram('server'), client: histogram('client') };
  }
  return cached;
}

/**
 * The server's own failures, the only codes that make a server span an error (the RPC semantic
 * conventions); the others (INVALID_ARGUMENT, NOT_FOUND, CANCELLED, ...) are the caller's.
 */
const SERVER_ERROR_CODES: ReadonlySet<string> = new Set(
  [
    Status.UNKNOWN,
    Status.DEADLINE_EXCEEDED,
    Status.UNIMPLEMENTED,
    Status.INTERNAL,
    Status.UNAVAILABLE,
    Status.DATA_LOSS,
  ].map((code) => Status[code]),
);

/**
 * nice-grpc-opentelemetry marks a server span an error for every code but OK, as `<CODE>:
 * <details>`: a caller's bad requests would count as the server's errors in every trace
 * backend. Its status is left unset for the caller's codes (the span keeps
 * rpc.grpc.status_code), as the conventions say.
 */
function keepCallerErrorsOffServerSpan(span: Span): void {
  const setStatus = span.setStatus.bind(span);
  span.setStatus = (status) => {
    const code =
      status.code === SpanStatusCode.ERROR ? status.message?.split(':', 1)[0] : undefined;
    if (code !== undefined && !SERVER_ERROR_CODES.has(code)) return span;
    return setStatus(status);
  };
}

/**
 * Only each side's own error type carries the code that goes over the wire: a ClientError from a
 * downstream call that escapes a handler is sent to the caller as UNKNOWN.
 */
function statusOf(error: unknown, carrier: typeof ServerError | typeof ClientError): Status {
  if (error instanceof carrier) return error.code;
  return error instanceof Error && error.name === 'AbortError' ? Status.CANCELLED : Status.UNKNOWN;
}
