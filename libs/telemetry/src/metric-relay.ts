import {
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';

/**
 * The metric reader the SDK holds for the life of the process (a MeterProvider takes its readers
 * once, at construction). Exporters attach and detach as services start and stop; each one gets a
 * periodic reader that collects through this relay. Temporality is therefore the relay's, which
 * is cumulative: what OTLP receivers and Prometheus expect by default.
 */
export class MetricRelay extends MetricReader {
  readonly #exporting = new Set<PeriodicExportingMetricReader>();

  attach(
    exporter: PushMetricExporter,
    timing: { exportIntervalMillis: number; exportTimeoutMillis: number },
  ): PeriodicExportingMetricReader {
    const reader = new PeriodicExportingMetricReader({ exporter, ...timing });
    // Binding the producer also starts the reader's (unref'd) export timer.
    reader.setMetricProducer({ collect: (options) => this.collect(options) });
    this.#exporting.add(reader);
    return reader;
  }

  /** Exports once more, then shuts the exporter down. */
  async detach(reader: PeriodicExportingMetricReader): Promise<void> {
    this.#exporting.delete(reader);
    await reader.shutdown();
  }

  protected override async onForceFlush(): Promise<void> {
    await Promise.all([...this.#exporting].map((reader) => reader.forceFlush()));
  }

  protected override async onShutdown(): Promise<void> {
    await Promise.all([...this.#exporting].map((reader) => this.detach(reader)));
  }
}
