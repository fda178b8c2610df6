import type { MetricData } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { registerLiveService } from './acting-service.js';
import { attachExporters } from './export-pipeline.js';
import { installProcessSdk, type ProcessSdk } from './process-sdk.js';
import {
  loadTelemetryConfig,
  TelemetryConfigError,
  type TelemetryConfig,
} from './telemetry-config.js';

export interface TelemetryOptions {
  /** The Feedmesh service, e.g. `ranker`. OTEL_SERVICE_NAME overrides it as the resource's name. */
  serviceName: string;
  serviceVersion?: string;
  /** Where to read `OTEL_*` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Record spans in memory for tests instead of exporting them. */
  inMemory?: boolean;
}

export interface Telemetry {
  /**
   * OTEL_SERVICE_NAME if set, else the option. The process's resource keeps the name of the first
   * handle started in it.
   */
  readonly serviceName: string;
  /** Releases this handle; the last exporting handle in the process flushes and closes exports. */
  shutdown(): Promise<void>;
}

export interface InMemoryTelemetry extends Telemetry {
  /** Spans ended since the last reset, by any code in the process. */
  finishedSpans(): ReadableSpan[];
  resetSpans(): void;
  /** Every metric recorded in the process so far (cumulative). */
  collectMetrics(): Promise<MetricData[]>;
}

/**
 * `startTelemetry` for a process's entry point (`main.ts`), which calls it before anything else:
 * a bad `OTEL_*` variable prints one line naming it, `<service>: configuration VAR: problem`, and
 * exits 1, as every other configuration error of a service does, instead of a stack trace.
 */
export function startProcessTelemetry(
  options: TelemetryOptions,
  exit: (code: number) => never = (code) => process.exit(code),
): Telemetry {
  try {
    return startTelemetry(options);
  } catch (error) {
    if (!(error instanceof TelemetryConfigError)) throw error;
    process.stderr.write(
      `${options.serviceName}: configuration ${error.variable}: ${error.problem}\n`,
    );
    return exit(1);
  }
}

/**
 * Starts traces and metrics for a service. Call it first thing in `main`, before creating clients,
 * servers or meters: the metrics API has no proxy, so a meter taken earlier records nothing.
 * (gRPC itself is traced by middleware, not by patching @grpc/grpc-js, so import order does not
 * matter for traces.)
 *
 * The SDK is process-global and is set up once; every call returns a handle on it. Several
 * services can therefore run in one process, each with its own handle, and stopping one leaves
 * the others exporting. Exporters live while at least one exporting handle does, and come back
 * when a service starts again. Handles that start export while others are live share the first
 * one's exporters. See `acting-service.ts` for how spans say which service did the work.
 */
export function startTelemetry(options: TelemetryOptions & { inMemory: true }): InMemoryTelemetry;
export function startTelemetry(options: TelemetryOptions): Telemetry;
export function startTelemetry(options: TelemetryOptions): Telemetry | InMemoryTelemetry {
  const config = loadTelemetryConfig(options.env ?? process.env, {
    name: options.serviceName,
    version: options.serviceVersion,
  });
  const sdk = config.disabled ? undefined : installProcessSdk(config);
  const unregister = registerLiveService(options.serviceName);

  if (!options.inMemory) {
    const lease = sdk && exporters.acquire(() => attachExporters(config, sdk.spans, sdk.metrics));
    return {
      serviceName: config.serviceName,
      shutdown: async () => {
        unregister();
        await lease?.release();
      },
    };
  }

  const lease = sdk && captures.acquire(() => startCapture(sdk));
  const exporter = lease?.value.exporter;
  return {
    serviceName: config.serviceName,
    shutdown: async () => {
      unregister();
      await lease?.release();
    },
    finishedSpans: () => exporter?.getFinishedSpans() ?? [],
    resetSpans: () => exporter?.reset(),
    collectMetrics: async () => {
      if (sdk === undefined) return [];
      const { resourceMetrics } = await sdk.metrics.collect();
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    },
  };
}

/**
 * Something set up by the first holder and torn down by the last. Teardown of one generation may
 * overlap setup of the next; each tears down only what it set up.
 */
class Shared<T> {
  #current: { value: T; holders: number } | undefined;

  constructor(private readonly teardown: (value: T) => Promise<void>) {}

  acquire(setUp: () => T): { readonly value: T; release(): Promise<void> } {
    const generation = (this.#current ??= { value: setUp(), holders: 0 });
    generation.holders += 1;
    let released = false;
    return {
      value: generation.value,
      release: async () => {
        if (released) return;
        released = true;
        generation.holders -= 1;
        if (generation.holders > 0) return;
        if (this.#current === generation) this.#current = undefined;
        await this.teardown(generation.value);
      },
    };
  }
}

/** Exporters attached for exporting handles; the value detaches (and flushes) them. */
const exporters = new Shared<() => Promise<void>>((detach) => detach());

interface Capture {
  readonly sdk: ProcessSdk;
  readonly exporter: InMemorySpanExporter;
  readonly processor: SimpleSpanProcessor;
}

const captures = new Shared<Capture>(({ sdk, processor }) => sdk.spans.remove(processor));

function startCapture(sdk: ProcessSdk): Capture {
  const exporter = new InMemorySpanExporter();
  // Simple, not batched: a test reads spans right after the call that ended them.
  const processor = new SimpleSpanProcessor(exporter);
  sdk.spans.add(processor);
  return { sdk, exporter, processor };
}
