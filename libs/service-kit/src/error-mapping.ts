import { FeedmeshError, type ErrorKind } from '@feedmesh/errors';
import { isAbortError } from 'abort-controller-x';
import {
  ClientError,
  ServerError,
  Status,
  type CallContext,
  type ServerMiddlewareCall,
} from 'nice-grpc-common';

/** The one place where the project's errors become gRPC status codes. */
const statusOf: Record<ErrorKind, Status> = {
  'invalid-argument': Status.INVALID_ARGUMENT,
  'not-found': Status.NOT_FOUND,
  'already-exists': Status.ALREADY_EXISTS,
  'failed-precondition': Status.FAILED_PRECONDITION,
  unavailable: Status.UNAVAILABLE,
  'deadline-exceeded': Status.DEADLINE_EXCEEDED,
  'resource-exhausted': Status.RESOURCE_EXHAUSTED,
  unauthenticated: Status.UNAUTHENTICATED,
  'permission-denied': Status.PERMISSION_DENIED,
  internal: Status.INTERNAL,
};

export function grpcStatusOf(error: FeedmeshError): Status {
  return statusOf[error.kind];
}

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** Downstream codes the caller can act on as they are: its request, a missing thing, load, time. */
const PASSED_THROUGH: ReadonlySet<Status> = new Set([
  Status.INVALID_ARGUMENT,
  Status.NOT_FOUND,
  Status.DEADLINE_EXCEEDED,
  Status.RESOURCE_EXHAUSTED,
]);

/** Downstream codes that say it could not answer for now: UNAVAILABLE to the caller. */
const TRANSIENT: ReadonlySet<Status> = new Set([
  Status.UNAVAILABLE,
  Status.CANCELLED,
  Status.ABORTED,
]);

/**
 * Converts whatever a handler throws into a ServerError: project errors to their status with
 * their message; a downstream ClientError keeps its code when it is one the caller can act on
 * (PASSED_THROUGH), becomes UNAVAILABLE when the downstream could not answer for now, and
 * INTERNAL when it answered with an error of its own, which retrying would not change;
 * anything else to INTERNAL with a generic message (the details are logged, never sent, so
 * internals do not leak).
 */
export function errorMappingMiddleware(logger: ErrorLogger) {
  return async function* errorMapping<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    try {
      return yield* call.next(call.request, context);
    } catch (error) {
      throw toServerError(error, call.method.path, context, logger);
    }
  };
}

function toServerError(
  error: unknown,
  method: string,
  context: CallContext,
  logger: ErrorLogger,
): unknown {
  if (error instanceof ServerError) return error;
  if (isAbortError(error) && context.signal.aborted) return error;
  if (error instanceof FeedmeshError) {
    if (error.kind === 'internal') {
      logger.error({ err: error, method }, 'internal error');
      return new ServerError(Status.INTERNAL, 'internal error');
    }
    return new ServerError(grpcStatusOf(error), error.message);
  }
  if (error instanceof ClientError) {
    if (PASSED_THROUGH.has(error.code)) return new ServerError(error.code, error.details);
    logger.error({ err: error, method }, 'downstream call failed');
    // Only a downstream that could not answer for now is worth another try: the caller's
    // client retries UNAVAILABLE. A downstream that answered with an error of its own
    // (INTERNAL, FAILED_PRECONDITION, UNAUTHENTICATED, ...) would answer it again, so
    // retrying it at every hop only multiplies the load on it.
    return new ServerError(
      TRANSIENT.has(error.code) ? Status.UNAVAILABLE : Status.INTERNAL,
      `downstream ${error.path} failed: ${Status[error.code]}`,
    );
  }
  logger.error({ err: error, method }, 'unhandled error');
  return new ServerError(Status.INTERNAL, 'internal error');
}
