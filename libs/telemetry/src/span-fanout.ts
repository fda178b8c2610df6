import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The span processor the SDK holds for the life of the process. Instrumentations bind to the
 * tracer provider once (nice-grpc-opentelemetry takes its tracer when it is imported), so the
 * provider cannot be replaced when services stop and start again; the exporters behind it can.
 */
export class SpanFanout implements SpanProcessor {
  readonly #processors = new Set<SpanProcessor>();

  add(processor: SpanProcessor): void {
    this.#processors.add(processor);
  }

  /** Stops sending spans to `processor`, then shuts it down, which exports what it still holds. */
  async remove(processor: SpanProcessor): Promise<void> {
    this.#processors.delete(processor);
    await processor.shutdown();
  }

  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.#processors) processor.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    for (const processor of this.#processors) processor.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.#processors].map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.#processors].map((processor) => this.remove(processor)));
  }
}
