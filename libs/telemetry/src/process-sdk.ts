import { hostname } from 'node:os';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { defaultResource, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { ActingServiceSpanProcessor } from './acting-service.js';
import { createSampler } from './export-pipeline.js';
import { MetricRelay } from './metric-relay.js';
import { SpanFanout } from './span-fanout.js';
import type { TelemetryConfig } from './telemetry-config.js';

/** The parts of the process-wide SDK that exporters are attached to. */
export interface ProcessSdk {
  readonly spans: SpanFanout;
  readonly metrics: MetricRelay;
}

let installed: ProcessSdk | undefined;

/**
 * Starts the OpenTelemetry Node SDK once per process and keeps it until the process exits: it
 * registers the global tracer and meter providers, the W3C propagators and the AsyncLocalStorage
 * context manager, and those cannot be swapped out from under code that already holds a tracer.
 * The first caller's config therefore fixes the resource and the sampler for the process.
 */
export function installProcessSdk(config: TelemetryConfig): ProcessSdk {
  if (installed !== undefined) return installed;
  const spans = new SpanFanout();
  const metrics = new MetricRelay();
  new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({
        // The host detector would add host.id, which is read asynchronously; spans would then wait
        // for it before reaching any exporter, and tests could not read them right after a call.
        'host.name': hostname(),
        ...config.resourceAttributes,
        [ATTR_SERVICE_NAME]: config.serviceName,
        ...(config.serviceVersion === undefined
          ? {}
          : { [ATTR_SERVICE_VERSION]: config.serviceVersion }),
      }),
    ),
    // Not the env detector: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES come from the config,
    // which may have been read from an environment other than process.env.
    resourceDetectors: [processDetector],
    sampler: createSampler(config.sampler),
    spanProcessors: [new ActingServiceSpanProcessor(), spans],
    metricReaders: [metrics],
    // Logs are pino JSON lines on stdout; without this the SDK would set up an OTLP log exporter.
    logRecordProcessors: [],
  }).start();
  installed = { spans, metrics };
  return installed;
}
