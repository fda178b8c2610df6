/**
 * Which Feedmesh service is doing the work, as a span attribute.
 *
 * The OpenTelemetry SDK is process-global, so its resource (and with it `service.name`) belongs to
 * the process: the first `startTelemetry` in a process names it (or OTEL_SERVICE_NAME does). In
 * production a process runs one service and that is enough. The playground runs several services
 * in one process, so every span also carries `feedmesh.service`, taken from the context it was
 * started in: the server middleware sets it for each call, `runAsService` for background work
 * such as consumer loops. Outside both, the process's only running service is used; when several
 * are running the attribute is left off, because a wrong label is worse than none.
 */
import { context, createContextKey, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export const ATTR_FEEDMESH_SERVICE = 'feedmesh.service';

const ACTING_SERVICE = createContextKey('feedmesh.acting-service');

/** Live `startTelemetry` handles, by service name (a name may be started more than once). */
const liveServices = new Map<string, number>();

/** Runs `fn` (and the async work it starts) as the work of `service`. */
export function runAsService<T>(service: string, fn: () => T): T {
  return context.with(withActingService(context.active(), service), fn);
}

export function withActingService(parent: Context, service: string): Context {
  return parent.setValue(ACTING_SERVICE, service);
}

export function actingService(ctx: Context = context.active()): string | undefined {
  const explicit = ctx.getValue(ACTING_SERVICE);
  if (typeof explicit === 'string') return explicit;
  if (liveServices.size !== 1) return undefined;
  return liveServices.keys().next().value;
}

/** Counts `service` as running until the returned function is first called. */
export function registerLiveService(service: string): () => void {
  liveServices.set(service, (liveServices.get(service) ?? 0) + 1);
  let unregistered = false;
  return () => {
    if (unregistered) return;
    unregistered = true;
    const count = liveServices.get(service) ?? 0;
    if (count <= 1) liveServices.delete(service);
    else liveServices.set(service, count - 1);
  };
}

/** Stamps `feedmesh.service` on every span when it starts. */
export class ActingServiceSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const service = actingService(parentContext);
    if (service !== undefined) span.setAttribute(ATTR_FEEDMESH_SERVICE, service);
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
