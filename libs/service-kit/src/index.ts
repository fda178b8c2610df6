export { loadConfig, env, serverConfigShape, serverOptionsFrom } from './config.js';
export { errorMappingMiddleware, grpcStatusOf } from './error-mapping.js';
export { callLimitsMiddleware } from './call-limits.js';
export { callDeadline, callRemainingMs, CALL_DEADLINE_METADATA_KEY } from './call-deadline.js';
export type { Logger } from './logger.js';
export {
  bindService,
  startGrpcServer,
  shutdownOnSignals,
  type GrpcServerOptions,
  type RunningServer,
  type ServiceBinding,
} from './server.js';
/** grpc.health.v1, which every server answers: for probes and tools that wait for SERVING. */
export { HealthDefinition } from 'nice-grpc-server-health';
export {
  createServiceClient,
  type ClientHandle,
  type ClientOptions,
  type ServiceClient,
} from './client.js';
export {
  DEFAULT_RETRY_THROTTLE,
  RetryThrottle,
  type RetryOptions,
  type RetryThrottleOptions,
} from './retry.js';
export * from './validation.js';
export { Status, ServerError, ClientError } from 'nice-grpc-common';
export { echoService } from './echo-service.js';
export {
  runtimeConfigShape,
  connectRedis,
  createRuntime,
  type Runtime,
  type RuntimeConfig,
  type RedisClient,
} from './runtime.js';
export { connectReachableRedis, type ReachableRedisOptions } from './reachable-redis.js';
export { runServiceMain } from './run-service-main.js';
export {
  tlsConfigShape,
  loadTls,
  serverCredentials,
  channelCredentials,
  type TlsMaterial,
} from './tls.js';
export { bearerTokenMiddleware } from './auth.js';
export {
  parseScriptArgs,
  integerFlag,
  integerFlagOr,
  numberFlag,
  choiceFlag,
  type ScriptIo,
} from './script-args.js';
export {
  freePorts,
  ephemeralRangeStart,
  listenProblem,
  type FreePortOptions,
  type ListenProblem,
} from './free-ports.js';
export { deleteKeysUnder, firstKeyUnder, keyPatternsUnder } from './prefix-keys.js';
export { makeDirectory } from './make-directory.js';
