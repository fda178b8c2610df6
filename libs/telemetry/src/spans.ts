import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';

export const INSTRUMENTATION_SCOPE = '@feedmesh/telemetry';

// A proxy until the SDK is installed, then the SDK's tracer: safe to take at import time.
const tracer = trace.getTracer(INSTRUMENTATION_SCOPE);

/**
 * Runs `fn` in a new child span of the active one. A throw is recorded on the span, marks it as
 * an error and is rethrown; the span ends either way. `fn` gets the span to add what it learns
 * (counts, the variant chosen, whether it degraded).
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  return inSpan(name, SpanKind.INTERNAL, attributes, fn);
}

/**
 * One Redis round trip (a command, or a pipeline as one trip) as a client span named for the
 * operation, e.g. `traceRedis('HGETALL', () => redis.hgetall(key))`.
 */
export function traceRedis<T>(
  operation: string,
  fn: () => Promise<T>,
  attributes: Attributes = {},
): Promise<T> {
  return inSpan(
    operation,
    SpanKind.CLIENT,
    {
      // Backends still key on db.system; db.system.name is its stable successor.
      'db.system': 'redis',
      [ATTR_DB_SYSTEM_NAME]: 'redis',
      [ATTR_DB_OPERATION_NAME]: operation,
      ...attributes,
    },
    fn,
  );
}

function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}
