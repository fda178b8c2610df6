/**
 * Reads the standard `OTEL_*` variables into a typed, frozen config. Pure: it takes the environment
 * and fails at start with a message naming the variable, rather than letting the SDK warn and
 * fall back.
 *
 * Only the variables that decide what gets exported, where, and how often live here. Transport
 * details (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, certificates), OTEL_PROPAGATORS,
 * span limits and OTEL_LOG_LEVEL are read by the SDK itself from `process.env`.
 */

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
export type SignalExporter = 'otlp' | 'console';
export type RootSampler = 'always_on' | 'always_off' | 'traceidratio';

export interface OtlpTarget {
  readonly protocol: OtlpProtocol;
  /** The full URL to send to; undefined leaves the exporter's default for the protocol. */
  readonly url: string | undefined;
}

export interface TelemetryConfig {
  /** OTEL_SDK_DISABLED: no SDK at all, so no recording spans and no context propagation. */
  readonly disabled: boolean;
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  /** OTEL_RESOURCE_ATTRIBUTES, without service.name / service.version (those are above). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: {
    readonly root: RootSampler;
    readonly ratio: number;
    readonly parentBased: boolean;
  };
  readonly traces: {
    /** Empty means export nothing. */
    readonly exporters: readonly SignalExporter[];
    readonly otlp: OtlpTarget;
    readonly batch: {
      readonly scheduledDelayMillis: number;
      readonly exportTimeoutMillis: number;
      readonly maxQueueSize: number;
      readonly maxExportBatchSize: number;
    };
  };
  readonly metrics: {
    readonly exporters: readonly SignalExporter[];
    readonly otlp: OtlpTarget;
    readonly exportIntervalMillis: number;
    readonly exportTimeoutMillis: number;
  };
}

/** A telemetry variable holds a value that cannot be used. */
export class TelemetryConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'TelemetryConfigError';
  }
}

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export function loadTelemetryConfig(
  env: NodeJS.ProcessEnv,
  service: { name: string; version?: string | undefined },
): TelemetryConfig {
  const read = (name: string): string | undefined => {
    // The spec treats an empty value as unset.
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const resource = parseResourceAttributes(read('OTEL_RESOURCE_ATTRIBUTES'));
  const {
    'service.name': resourceServiceName,
    'service.version': resourceVersion,
    ...resourceAttributes
  } = resource;
  const exportTimeoutMillis = readMillis(read, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000);
  const exportIntervalMillis = readMillis(read, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);

  return deepFreeze({
    disabled: readBoolean(read, 'OTEL_SDK_DISABLED'),
    serviceName: read('OTEL_SERVICE_NAME') ?? resourceServiceName ?? service.name,
    serviceVersion: resourceVersion ?? service.version,
    resourceAttributes,
    sampler: readSampler(read),
    traces: {
      exporters: readExporters(read, 'TRACES'),
      otlp: readOtlpTarget(read, 'TRACES'),
      batch: {
        scheduledDelayMillis: readMillis(read, 'OTEL_BSP_SCHEDULE_DELAY', 5_000),
        exportTimeoutMillis: readMillis(read, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000),
        maxQueueSize: readPositiveInteger(read, 'OTEL_BSP_MAX_QUEUE_SIZE', 2_048),
        maxExportBatchSize: readPositiveInteger(read, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512),
      },
    },
    metrics: {
      exporters: readExporters(read, 'METRICS'),
      otlp: readOtlpTarget(read, 'METRICS'),
      exportIntervalMillis,
      // The SDK refuses a timeout longer than the interval; it clamps it, and so do we.
      exportTimeoutMillis: Math.min(exportTimeoutMillis, exportIntervalMillis),
    },
  });
}

type Read = (name: string) => string | undefined;

/**
 * The RPC semantic conventions the gRPC metrics follow: `old` (`rpc.{server,client}.duration` in
 * ms, the conventions up to 1.37 that nice-grpc-opentelemetry's spans also follow), `stable`
 * (`rpc.{server,client}.call.duration` in seconds) or `both`, for moving dashboards and alerts
 * over. Chosen by OTEL_SEMCONV_STABILITY_OPT_IN as the conventions' migration plan says: a
 * comma-separated list of categories in which `rpc` opts in and `rpc/dup` (which wins) records
 * both; other categories are other instrumentations' and are left to them.
 */
export type RpcMetricConventions = 'old' | 'stable' | 'both';

export function rpcMetricConventions(env: NodeJS.ProcessEnv): RpcMetricConventions {
  const categories = new Set(
    (env['OTEL_SEMCONV_STABILITY_OPT_IN'] ?? '').split(',').map((category) => category.trim()),
  );
  if (categories.has('rpc/dup')) return 'both';
  return categories.has('rpc') ? 'stable' : 'old';
}

/**
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER. Unlike the SDK, which defaults to `otlp` and then
 * logs connection errors on every machine without a collector, an unset exporter means `otlp`
 * only when an OTLP endpoint is configured, and nothing otherwise.
 */
function readExporters(read: Read, signal: 'TRACES' | 'METRICS'): SignalExporter[] {
  const variable = `OTEL_${signal}_EXPORTER`;
  const value = read(variable);
  if (value === undefined) {
    const endpoint =
      read(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) ?? read('OTEL_EXPORTER_OTLP_ENDPOINT');
    return endpoint === undefined ? [] : ['otlp'];
  }
  const names = [...new Set(value.split(',').map((name) => name.trim()))];
  if (names.includes('none')) {
    if (names.length > 1)
      throw new TelemetryConfigError(variable, `"none" cannot be combined with other exporters`);
    return [];
  }
  return names.map((name) => {
    if (name !== 'otlp' && name !== 'console') {
      throw new TelemetryConfigError(
        variable,
        `unsupported exporter "${name}" (use otlp, console or none)`,
      );
    }
    return name;
  });
}

function readOtlpTarget(read: Read, signal: 'TRACES' | 'METRICS'): OtlpTarget {
  const protocolVariable = read(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)
    ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = read(protocolVariable) ?? 'http/protobuf';
  if (!PROTOCOLS.includes(protocol as OtlpProtocol)) {
    throw new TelemetryConfigError(
      protocolVariable,
      `unsupported protocol "${protocol}" (use ${PROTOCOLS.join(', ')})`,
    );
  }

  const signalVariable = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`;
  const signalEndpoint = read(signalVariable);
  if (signalEndpoint !== undefined) {
    return {
      protocol: protocol as OtlpProtocol,
      url: checkUrl(signalVariable, signalEndpoint, protocol as OtlpProtocol),
    };
  }
  const base = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return { protocol: protocol as OtlpProtocol, url: undefined };
  checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base, protocol as OtlpProtocol);
  // Over HTTP the shared endpoint is a base to which each signal appends its path; gRPC routes by
  // service name, so the endpoint is used as given.
  const url = protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/v1/${signal.toLowerCase()}`;
  return { protocol: protocol as OtlpProtocol, url };
}

function readSampler(read: Read): TelemetryConfig['sampler'] {
  const name = read('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on';
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    throw new TelemetryConfigError(
      'OTEL_TRACES_SAMPLER',
      `unsupported sampler "${name}" (use ${SAMPLERS.join(', ')})`,
    );
  }
  const parentBased = name.startsWith('parentbased_');
  const root = (parentBased ? name.slice('parentbased_'.length) : name) as RootSampler;
  const arg = read('OTEL_TRACES_SAMPLER_ARG');
  const ratio = root === 'traceidratio' && arg !== undefined ? Number(arg) : 1;
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new TelemetryConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      `expected a ratio in [0, 1], got "${arg}"`,
    );
  }
  return { root, ratio, parentBased };
}

/** `key1=value1,key2=value2`, values percent-encoded (W3C Baggage octets). */
function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (value === undefined) return attributes;
  for (const pair of value.split(',')) {
    const separator = pair.indexOf('=');
    const key = pair.slice(0, separator).trim();
    if (separator < 0 || key === '') {
      throw new TelemetryConfigError(
        'OTEL_RESOURCE_ATTRIBUTES',
        `expected key=value, got "${pair}"`,
      );
    }
    try {
      attributes[key] = decodeURIComponent(pair.slice(separator + 1).trim());
    } catch {
      throw new TelemetryConfigError(
        'OTEL_RESOURCE_ATTRIBUTES',
        `bad percent-encoding in "${pair}"`,
      );
    }
  }
  return attributes;
}

function readBoolean(read: Read, variable: string): boolean {
  const value = read(variable)?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new TelemetryConfigError(variable, `expected true or false, got "${value}"`);
}

/** Milliseconds and sizes alike: zero would mean a busy loop or an empty batch. */
function readPositiveInteger(
  read: Read,
  variable: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = read(variable);
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? '' : ` up to ${max}`;
    throw new TelemetryConfigError(variable, `expected a positive integer${range}, got "${value}"`);
  }
  return number;
}

/** Node runs a timer longer than this (about 24.8 days) after 1 ms: an export loop, not a pause. */
const MAX_TIMER_MILLIS = 2_147_483_647;

function readMillis(read: Read, variable: string, fallback: number): number {
  return readPositiveInteger(read, variable, fallback, MAX_TIMER_MILLIS);
}

/**
 * An http(s) URL with a host (or, over gRPC, a `unix:` socket). `collector:4318` parses as a URL
 * whose scheme is `collector:`; the exporters would take it and then fail every export quietly.
 */
function checkUrl(variable: string, value: string, protocol: OtlpProtocol): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const usable =
    url !== undefined &&
    (((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') ||
      (protocol === 'grpc' && url.protocol === 'unix:'));
  if (!usable) {
    throw new TelemetryConfigError(
      variable,
      `expected a URL starting with http:// or https://, got "${value}"`,
    );
  }
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepFreeze(child);
  }
  return Object.freeze(value);
}
