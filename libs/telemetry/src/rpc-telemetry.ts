/**
 * gRPC traces and metrics as nice-grpc middleware. Traces come from nice-grpc-opentelemetry, which
 * carries the W3C trace context in call metadata; the inner middleware here adds the acting
 * service and RPC metrics.
 *
 * Metrics follow, by default, the RPC semantic conventions that nice-grpc-opentelemetry's spans
 * use: `rpc.server.duration` / `rpc.client.duration` histograms in milliseconds, attributed with
 * rpc.system, rpc.service, rpc.method and rpc.grpc.status_code (plus feedmesh.service). With
 * OTEL_SEMCONV_STABILITY_OPT_IN=rpc they follow the stable conventions instead
 * (`rpc.{server,client}.call.duration` in seconds, rpc.system.name, rpc.method as
 * `package.Service/Method`, rpc.status_code as the code's name, error.type on failures, and
 * server.address / server.port on the client side); `rpc/dup` records both. One histogram per
 * side carries all three signals: its count is the request rate, its count by status code the
 * error rate, its buckets the latency.
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
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';
import { actingService, ATTR_FEEDMESH_SERVICE, withActingService } from './acting-service.js';
import { bindAsyncGenerator } from './bind-async-generator.js';
import { INSTRUMENTATION_SCOPE } from './spans.js';
import { rpcMetricConventions, type RpcMetricConventions } from './telemetry-config.js';

export interface ServerTelemetryOptions {
  /** Default: from OTEL_SEMCONV_STABILITY_OPT_IN in `process.env` when the middleware is made. */
  readonly conventions?: RpcMetricConventions;
}

export interface ClientTelemetryOptions extends ServerTelemetryOptions {
  /**
   * The channel's target (`host:port`, `dns:///host:port`, `[::1]:port`), for the stable
   * conventions' server.address and server.port.
   */
  readonly serverAddress?: string;
}

/**
 * Traces and measures every call a server handles. Attach it first (outermost), so that errors
 * mapped to status codes by later middleware are seen with their codes.
 */
export function serverTelemetryMiddleware(
  serviceLabel: string,
  options: ServerTelemetryOptions = {},
): ServerMiddleware {
  const recorder = new RpcRecorder(
    'server',
    options.conventions ?? rpcMetricConventions(process.env),
  );
  return composeServerMiddleware(openTelemetryServerMiddleware(), async function* <
    Request,
    Response,
  >(call: ServerMiddlewareCall<Request, Response>, callContext: CallContext) {
    // The server span's parent comes from the caller's metadata, so it cannot inherit the label.
    const span = trace.getActiveSpan();
    span?.setAttribute(ATTR_FEEDMESH_SERVICE, serviceLabel);
    const started = performance.now();
    // Unset if the stream is ended from outside: nice-grpc returns it, without an error, when the
    // caller cancels while the server waits to write. That call did not succeed.
    let code: Status | undefined;
    if (span) keepCallerErrorsOffServerSpan(span, () => code);
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
      recorder.record(call.method.path, code, performance.now() - started, serviceLabel);
    }
  });
}

/**
 * Traces and measures every call a client makes, one span and one measurement per attempt when
 * it sits inside retry and deadline middleware. A deadline is recorded as DEADLINE_EXCEEDED
 * only if the deadline middleware aborts the call's signal with that ClientError as its reason
 * (service-kit's does); a bare abort is recorded as CANCELLED.
 */
export function clientTelemetryMiddleware(options: ClientTelemetryOptions = {}): ClientMiddleware {
  const recorder = new RpcRecorder(
    'client',
    options.conventions ?? rpcMetricConventions(process.env),
    options.serverAddress === undefined ? {} : serverAttributes(options.serverAddress),
  );
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
      recorder.record(call.method.path, code, performance.now() - started, actingService());
    }
  });
}

/** One side's duration histograms, in the conventions chosen. */
class RpcRecorder {
  constructor(
    private readonly side: 'server' | 'client',
    private readonly conventions: RpcMetricConventions,
    private readonly target: Attributes = {},
  ) {}

  record(path: string, code: Status, ms: number, service: string | undefined): void {
    const histograms = instruments()[this.side];
    if (this.conventions !== 'stable')
      histograms.old.record(ms, this.oldAttributes(path, code, service));
    if (this.conventions !== 'old') {
      histograms.stable.record(ms / 1000, this.stableAttributes(path, code, service));
    }
  }

  private oldAttributes(path: string, code: Status, service: string | undefined): Attributes {
    // path is `/package.Service/Method`.
    const [, rpcService = '', rpcMethod = ''] = path.split('/');
    const attributes: Attributes = {
      'rpc.system': 'grpc',
      'rpc.service': rpcService,
      'rpc.method': rpcMethod,
      'rpc.grpc.status_code': code,
    };
    if (service !== undefined) attributes[ATTR_FEEDMESH_SERVICE] = service;
    return attributes;
  }

  private stableAttributes(path: string, code: Status, service: string | undefined): Attributes {
    const name = Status[code] ?? String(code);
    const attributes: Attributes = {
      [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
      [ATTR_RPC_METHOD]: path.slice(1),
      [ATTR_RPC_STATUS_CODE]: name,
      ...this.target,
    };
    // A client's call failed for any code but OK; a server's only for its own failures.
    const failed = this.side === 'client' ? code !== Status.OK : SERVER_ERROR_CODES.has(name);
    if (failed) attributes[ATTR_ERROR_TYPE] = name;
    if (service !== undefined) attributes[ATTR_FEEDMESH_SERVICE] = service;
    return attributes;
  }
}

/** server.address and server.port of a channel target; a target it cannot read gives none. */
function serverAttributes(target: string): Attributes {
  const hostPort = target.replace(/^dns:(\/\/[^/]*)?\/?/, '');
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  if (match === null) return {};
  const attributes: Attributes = { [ATTR_SERVER_ADDRESS]: match[1]!.replace(/^\[|\]$/g, '') };
  if (match[2] !== undefined) attributes[ATTR_SERVER_PORT] = Number(match[2]);
  return attributes;
}

interface SideHistograms {
  readonly old: Histogram;
  readonly stable: Histogram;
}

let cached: { provider: MeterProvider; server: SideHistograms; client: SideHistograms } | undefined;

/**
 * Made on first use, and again if the global provider changed: a histogram taken from the no-op
 * provider (middleware built before startTelemetry) would record nothing, ever. Both conventions'
 * instruments are made; only the recorded ones are exported.
 */
function instruments(): { server: SideHistograms; client: SideHistograms } {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
    const side = (name: 'server' | 'client'): SideHistograms => {
      const description = `Duration of gRPC calls ${name === 'server' ? 'handled' : 'made'}, by method and status code.`;
      return {
        old: meter.createHistogram(`rpc.${name}.duration`, {
          description,
          unit: 'ms',
          advice: { explicitBucketBoundaries: BUCKETS_MS },
        }),
        stable: meter.createHistogram(
          name === 'server' ? METRIC_RPC_SERVER_CALL_DURATION : METRIC_RPC_CLIENT_CALL_DURATION,
          {
            description,
            unit: 's',
            advice: { explicitBucketBoundaries: BUCKETS_MS.map((ms) => ms / 1000) },
          },
        ),
      };
    };
    cached = { provider, server: side('server'), client: side('client') };
  }
  return cached;
}

/** The mesh's calls take milliseconds: finer at the bottom than the conventions' advice (5 ms). */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

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
 * nice-grpc-opentelemetry marks a server span an error for every code but OK: a caller's bad
 * requests would count as the server's errors in every trace backend. Its status is left unset
 * for the caller's codes (the span keeps rpc.grpc.status_code), as the conventions say. The code
 * is the one this middleware saw the handler end with (`handled()`, set before the library sets
 * the status); only if there is none is it read from the library's message, `<CODE>: <details>`.
 */
function keepCallerErrorsOffServerSpan(span: Span, handled: () => Status | undefined): void {
  const setStatus = span.setStatus.bind(span);
  span.setStatus = (status) => {
    if (status.code === SpanStatusCode.ERROR) {
      const known = handled();
      const code = known === undefined ? status.message?.split(':', 1)[0] : Status[known];
      if (code !== undefined && !SERVER_ERROR_CODES.has(code)) return span;
    }
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
