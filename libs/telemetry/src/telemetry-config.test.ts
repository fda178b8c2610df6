import assert from 'node:assert/strict';
import { loadTelemetryConfig, TelemetryConfigError } from './telemetry-config.js';

const service = { name: 'ranker', version: '1.2.3' };

describe('loadTelemetryConfig', () => {
  it('exports nothing when no exporter or OTLP endpoint is configured', () => {
    const config = loadTelemetryConfig({}, service);

    assert.deepEqual(config.traces.exporters, []);
    assert.deepEqual(config.metrics.exporters, []);
    assert.equal(config.disabled, false);
    assert.equal(config.serviceName, 'ranker');
    assert.deepEqual(config.sampler, { root: 'always_on', ratio: 1, parentBased: true });
  });

  it('exports OTLP to the shared endpoint, each signal under its own path over HTTP', () => {
    const config = loadTelemetryConfig(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      },
      service,
    );

    assert.deepEqual(config.traces.exporters, ['otlp']);
    assert.deepEqual(config.traces.otlp, {
      protocol: 'http/json',
      url: 'http://collector:4318/v1/traces',
    });
    assert.deepEqual(config.metrics.otlp, {
      protocol: 'http/json',
      url: 'http://collector:4318/v1/metrics',
    });
  });

  it('uses a gRPC endpoint as given, and a signal endpoint over the shared one', () => {
    const config = loadTelemetryConfig(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/custom',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      },
      service,
    );

    assert.deepEqual(config.traces.otlp, { protocol: 'grpc', url: 'http://collector:4317' });
    assert.deepEqual(config.metrics.otlp, {
      protocol: 'http/protobuf',
      url: 'http://metrics:4318/custom',
    });
  });

  it('follows OTEL_TRACES_EXPORTER even without an endpoint, and none turns a signal off', () => {
    const config = loadTelemetryConfig(
      {
        OTEL_TRACES_EXPORTER: 'console,otlp',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      },
      service,
    );

    assert.deepEqual(config.traces.exporters, ['console', 'otlp']);
    assert.deepEqual(config.traces.otlp.url, 'http://c:4318/v1/traces');
    assert.deepEqual(config.metrics.exporters, []);
  });

  it('names the service from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then the code', () => {
    const fromResource = loadTelemetryConfig(
      {
        OTEL_RESOURCE_ATTRIBUTES:
          'service.name=feedmesh-ranker,deployment.environment.name=dev%20box',
      },
      service,
    );
    assert.equal(fromResource.serviceName, 'feedmesh-ranker');
    assert.deepEqual(fromResource.resourceAttributes, { 'deployment.environment.name': 'dev box' });

    const fromEnv = loadTelemetryConfig(
      {
        OTEL_SERVICE_NAME: 'ranker-canary',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=feedmesh-ranker',
      },
      service,
    );
    assert.equal(fromEnv.serviceName, 'ranker-canary');
  });

  it('reads batch and metric timing, clamping the metric timeout to the interval', () => {
    const config = loadTelemetryConfig(
      { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
      service,
    );

    assert.equal(config.traces.batch.scheduledDelayMillis, 100);
    assert.equal(config.traces.batch.maxExportBatchSize, 512);
    assert.equal(config.metrics.exportIntervalMillis, 1000);
    assert.equal(config.metrics.exportTimeoutMillis, 1000);
  });

  it('reads a ratio sampler with its argument', () => {
    const config = loadTelemetryConfig(
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
      service,
    );

    assert.deepEqual(config.sampler, { root: 'traceidratio', ratio: 0.25, parentBased: true });
  });

  it('refuses an OTLP endpoint without an http or https scheme, naming the variable', () => {
    // `collector:4318` parses as a URL whose scheme is `collector:`: the exporter would accept it
    // and then drop every export, with nothing on stdout or stderr.
    const cases: [string, Record<string, string>][] = [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }],
      [
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'localhost:4318/v1/traces' },
      ],
      [
        'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
        { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'ftp://collector/v1/metrics' },
      ],
      [
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      ],
    ];
    for (const [variable, env] of cases) {
      assert.throws(
        () => loadTelemetryConfig(env, service),
        (error) =>
          error instanceof TelemetryConfigError &&
          error.variable === variable &&
          /http:\/\/ or https:\/\//.test(error.problem),
        JSON.stringify(env),
      );
    }
  });

  it('refuses a time beyond what a Node timer holds, which it would run every millisecond', () => {
    for (const variable of [
      'OTEL_BSP_SCHEDULE_DELAY',
      'OTEL_BSP_EXPORT_TIMEOUT',
      'OTEL_METRIC_EXPORT_INTERVAL',
      'OTEL_METRIC_EXPORT_TIMEOUT',
    ]) {
      assert.throws(
        () => loadTelemetryConfig({ [variable]: '3000000000' }, service),
        (error) =>
          error instanceof TelemetryConfigError &&
          error.variable === variable &&
          /2147483647/.test(error.problem),
        variable,
      );
      assert.doesNotThrow(() => loadTelemetryConfig({ [variable]: '2147483647' }, service));
    }
  });

  it('returns a frozen config', () => {
    const config = loadTelemetryConfig({}, service);

    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.traces.batch));
  });

  const invalid: [string, Record<string, string>][] = [
    ['OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'yes' }],
    ['OTEL_TRACES_EXPORTER', { OTEL_TRACES_EXPORTER: 'zipkin' }],
    ['OTEL_METRICS_EXPORTER', { OTEL_METRICS_EXPORTER: 'none,otlp' }],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'udp' }],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }],
    ['OTEL_TRACES_SAMPLER', { OTEL_TRACES_SAMPLER: 'sometimes' }],
    [
      'OTEL_TRACES_SAMPLER_ARG',
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
    ],
    ['OTEL_BSP_SCHEDULE_DELAY', { OTEL_BSP_SCHEDULE_DELAY: '0' }],
    ['OTEL_RESOURCE_ATTRIBUTES', { OTEL_RESOURCE_ATTRIBUTES: 'team' }],
  ];
  for (const [variable, env] of invalid) {
    it(`refuses a bad ${variable}, naming it`, () => {
      assert.throws(
        () => loadTelemetryConfig(env, service),
        (error) => error instanceof TelemetryConfigError && error.variable === variable,
      );
    });
  }
});
