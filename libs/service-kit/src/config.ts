import { ConfigError } from '@feedmesh/errors';
import { z } from 'zod';
import { loadTls, tlsConfigShape } from './tls.js';

/**
 * Reads a service's configuration from environment variables: the schema's keys are the
 * variable names. Returns a frozen, typed object, or throws a ConfigError naming the first
 * variable that is wrong, at start rather than at first use.
 *
 * A variable of the schema set to nothing (`VAR=` or blanks, as a template writes a missing
 * value) is refused: read as a number it would become 0 without a word (`Number('')`),
 * turning a drain window or a page share off, and taken as unset it would turn a secret such
 * as GATEWAY_AUTH_TOKENS off. Leave it unset for its default.
 *
 * Blanks around a value (a trailing newline from a secret file, a space in a template) are
 * not part of it, whatever its type: numbers always read them so, while a prefix kept them
 * and named other keys than the other services', and a flag or an address was refused.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.infer<z.ZodObject<Shape>>> {
  const values: Record<string, string | undefined> = { ...env };
  for (const variable of Object.keys(shape)) {
    const value = env[variable]?.trim();
    if (value === '') {
      throw new ConfigError(
        variable,
        'is set to nothing: give it a value, or unset it for its default',
      );
    }
    values[variable] = value;
  }
  const parsed = z.object(shape).safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.map(String).join('.') || '(environment)';
    throw new ConfigError(variable, issue?.message ?? 'invalid');
  }
  return Object.freeze(parsed.data);
}

function hostPort() {
  return z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port')
    .refine(
      (value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535,
      'the port must be at most 65535',
    );
}

/** Reusable variable types. Environment values are strings; these parse and bound them. */
export const env = {
  /** A host:port to listen on or dial, e.g. `127.0.0.1:50051` (port 0 picks a free one). */
  address: (fallback: string) => hostPort().default(fallback),
  optionalAddress: () => hostPort().optional(),
  int: (fallback: number, min: number, max: number) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  /** A number that may have a fraction (a z-score, a share). */
  number: (fallback: number, min: number, max: number) =>
    z.coerce.number().min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  redisUrl: () =>
    z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .refine((value) => URL.canParse(value), 'not a valid URL (host, port, /db)')
      .optional(),
  string: (fallback: string) => z.string().min(1).default(fallback),
};

/** The settings every gRPC service shares; spread into a service's own schema. */
export const serverConfigShape = {
  /** Where the gRPC server listens. */
  GRPC_LISTEN: env.address('127.0.0.1:0'),
  /** Largest message the server accepts or sends, bytes. */
  GRPC_MAX_MESSAGE_BYTES: env.int(16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  /** Unary calls are cut off after this long even if the client set no deadline, ms. */
  GRPC_UNARY_TIMEOUT_MS: env.int(30_000, 1, 3_600_000),
  /** On SIGTERM, in-flight calls get this long to finish before the server is forced down, ms. */
  GRPC_DRAIN_TIMEOUT_MS: env.int(10_000, 0, 600_000),
  /**
   * A second, plaintext listener serving only grpc.health.v1: kubelet's gRPC probes cannot
   * present client certificates, so with mutual TLS on the main port they probe this one.
   */
  GRPC_HEALTH_LISTEN: env.optionalAddress(),
  /**
   * Connections are closed (gracefully) after this long, so clients reconnect and spread over
   * replicas added since; 0 keeps them open. A ClusterIP Service balances connections, not calls.
   */
  GRPC_MAX_CONNECTION_AGE_MS: env.int(0, 0, 86_400_000),
  ...tlsConfigShape,
};

/**
 * The server settings of `serverConfigShape`, as `startGrpcServer` takes them (TLS material
 * read from its files): every service spreads this instead of copying five fields.
 */
export function serverOptionsFrom(config: {
  readonly GRPC_LISTEN: string;
  readonly GRPC_MAX_MESSAGE_BYTES: number;
  readonly GRPC_UNARY_TIMEOUT_MS: number;
  readonly GRPC_DRAIN_TIMEOUT_MS: number;
  readonly GRPC_HEALTH_LISTEN?: string | undefined;
  readonly GRPC_MAX_CONNECTION_AGE_MS?: number | undefined;
  readonly GRPC_TLS_CERT_FILE?: string | undefined;
  readonly GRPC_TLS_KEY_FILE?: string | undefined;
  readonly GRPC_TLS_CA_FILE?: string | undefined;
}) {
  return {
    listen: config.GRPC_LISTEN,
    maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
    unaryTimeoutMs: config.GRPC_UNARY_TIMEOUT_MS,
    drainTimeoutMs: config.GRPC_DRAIN_TIMEOUT_MS,
    healthListen: config.GRPC_HEALTH_LISTEN,
    maxConnectionAgeMs: config.GRPC_MAX_CONNECTION_AGE_MS,
    tls: loadTls(config),
  };
}
