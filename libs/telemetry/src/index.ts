/**
 * Feedmesh telemetry: OpenTelemetry traces and metrics configured by the standard `OTEL_*`
 * variables, gRPC middleware, spans for other round trips, and JSON logs carrying trace ids.
 */
export {
  startProcessTelemetry,
  startTelemetry,
  type InMemoryTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './start-telemetry.js';
export {
  rpcMetricConventions,
  TelemetryConfigError,
  type RpcMetricConventions,
} from './telemetry-config.js';
export { ATTR_FEEDMESH_SERVICE, runAsService } from './acting-service.js';
export {
  clientTelemetryMiddleware,
  serverTelemetryMiddleware,
  type ClientTelemetryOptions,
  type ServerTelemetryOptions,
} from './rpc-telemetry.js';
export { traceRedis, withSpan } from './spans.js';
export { meter, registerObservableGauge, type GaugeReading } from './metrics.js';
export { createLogger, LOG_LEVELS, logLevelOf, type Logger, type LoggerOptions } from './logger.js';
export {
  startOtlpJsonReceiver,
  type OtlpJsonReceiver,
  type ReceivedAttributeValue,
  type ReceivedSpan,
} from './otlp-json-receiver.js';
