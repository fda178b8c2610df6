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

const PLAYGROUND_HINT =
  'start the playground with `npm start` (or `npm run feedmesh -- up`), or point --addr at a gateway';

/**
 * A gRPC failure as one line, `<STATUS>: <details>`, the way the gateway's own messages name
 * the field, plus a hint when the cause is that nothing is listening.
 */
export function describeGrpcError(error: ClientError, address: string): CommandFailedError {
  const status = Status[error.code] ?? String(error.code);
  // grpc-js appends an empty "Resolution note:" to connection failures.
  const details = error.details.replace(/\s*Resolution note:\s*$/, '');
  const refused =
    error.code === Status.UNAVAILABLE && /ECONNREFUSED|No connection established/.test(details);
  return new CommandFailedError(
    `${status}: ${details}`,
    refused ? `nothing answers at ${address}; ${PLAYGROUND_HINT}` : undefined,
  );
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
