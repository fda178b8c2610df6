/**
 * The project's error classes. Domain code throws these; `@feedmesh/service-kit` maps each
 * `kind` to a gRPC status code in one place, and anything else to INTERNAL.
 */

export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'resource-exhausted'
  | 'unauthenticated'
  | 'permission-denied'
  | 'internal';

export abstract class FeedmeshError extends Error {
  abstract readonly kind: ErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request or event field is wrong. `field` is a path such as `events[3].engagement.post_id`. */
export class InvalidArgumentError extends FeedmeshError {
  readonly kind = 'invalid-argument';

  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }

  /** The same problem, seen from a containing message: `prefix` + `.` + field. */
  under(prefix: string): InvalidArgumentError {
    const field = this.field.startsWith('[') ? `${prefix}${this.field}` : `${prefix}.${this.field}`;
    return new InvalidArgumentError(field, this.problem);
  }
}

export class NotFoundError extends FeedmeshError {
  readonly kind = 'not-found';

  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${JSON.stringify(id)} not found`);
  }
}

export class AlreadyExistsError extends FeedmeshError {
  readonly kind = 'already-exists';

  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${JSON.stringify(id)} already exists`);
  }
}

export class FailedPreconditionError extends FeedmeshError {
  readonly kind = 'failed-precondition';
}

/** A dependency (Redis, a downstream service) cannot be reached right now; retrying may help. */
export class UnavailableError extends FeedmeshError {
  readonly kind = 'unavailable';

  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency}: ${message}`, options);
  }
}

export class DeadlineExceededError extends FeedmeshError {
  readonly kind = 'deadline-exceeded';

  constructor(
    readonly stage: string,
    readonly budgetMs: number,
  ) {
    super(`${stage} did not finish within ${budgetMs} ms`);
  }
}

export class ResourceExhaustedError extends FeedmeshError {
  readonly kind = 'resource-exhausted';
}

export class UnauthenticatedError extends FeedmeshError {
  readonly kind = 'unauthenticated';
}

export class PermissionDeniedError extends FeedmeshError {
  readonly kind = 'permission-denied';
}

/** A bug or broken invariant. Its message is logged, never sent to the caller. */
export class InternalError extends FeedmeshError {
  readonly kind = 'internal';
}

/** Configuration is missing or wrong; raised at start, naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`configuration ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}
