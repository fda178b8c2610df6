import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleMetricExporter, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { MetricRelay } from './metric-relay.js';
import type { SpanFanout } from './span-fanout.js';
import type { OtlpTarget, TelemetryConfig } from './telemetry-config.js';

/** Attaches the exporters `config` asks for; the returned function flushes and removes them. */
export function attachExporters(
  config: TelemetryConfig,
  spans: SpanFanout,
  metrics: MetricRelay,
): () => Promise<void> {
  const processors = config.traces.exporters.map((name) =>
    name === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(traceExporter(config.traces.otlp), { ...config.traces.batch }),
  );
  for (const processor of processors) spans.add(processor);

  const readers = config.metrics.exporters.map((name) =>
    metrics.attach(
      name === 'console' ? new ConsoleMetricExporter() : metricExporter(config.metrics.otlp),
      {
        exportIntervalMillis: config.metrics.exportIntervalMillis,
        exportTimeoutMillis: config.metrics.exportTimeoutMillis,
      },
    ),
  );

  return async () => {
    await Promise.all([
      ...processors.map((processor) => spans.remove(processor)),
      ...readers.map((reader) => metrics.detach(reader)),
    ]);
  };
}

export function createSampler({ root, ratio, parentBased }: TelemetryConfig['sampler']): Sampler {
  const rootSampler =
    root === 'always_on'
      ? new AlwaysOnSampler()
      : root === 'always_off'
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(ratio);
  return parentBased ? new ParentBasedSampler({ root: rootSampler }) : rootSampler;
}

function traceExporter({ protocol, url }: OtlpTarget): SpanExporter {
  const options = url === undefined ? {} : { url };
  switch (protocol) {
    case 'grpc':
      return new GrpcTraceExporter(options);
    case 'http/json':
      return new JsonTraceExporter(options);
    case 'http/protobuf':
      return new ProtobufTraceExporter(options);
  }
}

function metricExporter({ protocol, url }: OtlpTarget): PushMetricExporter {
  const options = url === undefined ? {} : { url };
  switch (protocol) {
    case 'grpc':
      return new GrpcMetricExporter(options);
    case 'http/json':
      return new JsonMetricExporter(options);
    case 'http/protobuf':
      return new ProtobufMetricExporter(options);
  }
}
