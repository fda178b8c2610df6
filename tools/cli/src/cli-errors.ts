import { ClientError, Status } from '@feedmesh/service-kit';

/** The command line itself is wrong: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and could not do its job: printed as `error: ...` (and a hint), exit 1. */
export class CommandFailedError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CommandFailedError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** What the CLI talks to at --addr, for hints that say which address it wants. */
export type ServiceRole = 'gateway' | 'feature store';

function playgroundHint(role: ServiceRole): string {
  const where =
    role === 'gateway'
      ? 'point --addr at a gateway'
      : "point --addr at the feature store (the playground prints its address; it is not the gateway's)";
  return `start the playground with \`npm start\` (or \`npm run feedmesh -- up\`), or ${where}`;
}

/**
 * A gRPC failure as one line, `<STATUS>: <details>`, the way the gateway's own messages name
 * the field, plus a hint when the cause is likely the address or the token rather than the
 * request: nothing listening, a different service there, or no credentials.
 */
export function describeGrpcError(
  error: ClientError,
  address: string,
  role: ServiceRole = 'gateway',
): CommandFailedError {
  const status = Status[error.code] ?? String(error.code);
  // grpc-js appends an empty "Resolution note:" to connection failures.
  const details = withoutResolutionNote(error.details);
  return new CommandFailedError(
    `${status}: ${details}`,
    hintFor(error.code, details, address, role),
  );
}

function hintFor(
  code: Status,
  details: string,
  address: string,
  role: ServiceRole,
): string | undefined {
  switch (code) {
    case Status.UNAVAILABLE:
      return /ECONNREFUSED|No connection established/.test(details)
        ? `nothing answers at ${address}; ${playgroundHint(role)}`
        : undefined;
    case Status.UNIMPLEMENTED:
      return role === 'gateway'
        ? `${address} is not a Feedmesh gateway; point --addr at the gateway (default 127.0.0.1:50051)`
        : `${address} is not the feature store; --addr must be the feature store's address (the playground prints it, default 127.0.0.1:50053), not the gateway's`;
    case Status.UNAUTHENTICATED:
      // Only the gateway client sends FEEDMESH_TOKEN.
      return role === 'gateway'
        ? 'the gateway wants a token: set FEEDMESH_TOKEN to one of its tokens (GATEWAY_AUTH_TOKENS on the gateway)'
        : undefined;
    default:
      return undefined;
  }
}

/** grpc-js ends connection failures with "Resolution note:" and, often, nothing after it. */
export function withoutResolutionNote(details: string): string {
  return details.replace(/\s*Resolution note:\s*$/, '');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
