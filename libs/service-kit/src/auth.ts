import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '@feedmesh/errors';
import type { CallContext, ServerMiddlewareCall } from 'nice-grpc-common';

/**
 * Bearer tokens internal callers present (`authorization: Bearer <token>` metadata). Only the
 * services named are guarded: health checks and reflection stay open for probes and tools.
 * Tokens are compared as SHA-256 digests in constant time, so neither length nor content
 * leaks through timing.
 */
export function bearerTokenMiddleware(options: {
  readonly tokens: readonly string[];
  readonly services: readonly string[];
}) {
  const accepted = options.tokens.map(digest);
  const guarded = new Set(options.services);
  return async function* bearerToken<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const service = call.method.path.split('/')[1] ?? '';
    if (guarded.has(service)) {
      const header = context.metadata.get('authorization') ?? '';
      const token = /^Bearer +(.+)$/i.exec(header)?.[1];
      if (!token)
        throw new UnauthenticatedError('missing "authorization: Bearer <token>" metadata');
      const presented = digest(token);
      if (!accepted.some((candidate) => timingSafeEqual(candidate, presented))) {
        throw new UnauthenticatedError('the bearer token is not accepted');
      }
    }
    return yield* call.next(call.request, context);
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
