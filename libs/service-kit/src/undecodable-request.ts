import { unsafeIntegerFields } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc-common';

const UNDECODABLE = Symbol('undecodable request');

interface Undecodable {
  readonly [UNDECODABLE]: string | InvalidArgumentError;
}

interface MessageType {
  decode(input: Uint8Array): unknown;
}

interface TsProtoMethod {
  readonly name: string;
  readonly requestType: MessageType;
}

/**
 * grpc-js answers INTERNAL ("Error deserializing request") when bytes do not decode, before
 * any handler or middleware runs: to a caller that is a server bug, while it is their bad
 * input. So the decoder is wrapped to hand a marker through instead, and the middleware below
 * turns the marker into INVALID_ARGUMENT. A 64-bit integer beyond what a number holds exactly
 * is named by its field, since it is nearly always a unit mistake the caller must find.
 */
export function withTolerantDecoding<D>(definition: D): D {
  const { fullName, methods } = definition as {
    fullName?: string;
    methods?: Record<string, TsProtoMethod>;
  };
  if (!methods) return definition;
  const wrapped = Object.fromEntries(
    Object.entries(methods).map(([key, method]) => {
      const decode = method.requestType.decode;
      const tolerant = (input: Uint8Array): unknown => {
        try {
          return decode(input);
        } catch (error) {
          return { [UNDECODABLE]: undecodableReason(`/${fullName}/${method.name}`, input, error) };
        }
      };
      return [key, { ...method, requestType: { ...method.requestType, decode: tolerant } }];
    }),
  );
  return { ...definition, methods: wrapped };
}

function undecodableReason(
  path: string,
  input: Uint8Array,
  error: unknown,
): string | InvalidArgumentError {
  const message = error instanceof Error ? error.message : String(error);
  if (!/SAFE_INTEGER/.test(message)) return message;
  const [first, ...more] = unsafeIntegerFields(path, input);
  if (!first) return message;
  const others =
    more.length === 0 ? '' : ` (and ${more.length} more such field${more.length === 1 ? '' : 's'})`;
  return new InvalidArgumentError(
    first.field,
    `must be within ±${Number.MAX_SAFE_INTEGER} (2^53 - 1), got ${first.value}${others}`,
  );
}

export async function* undecodableRequestMiddleware<Request, Response>(
  call: ServerMiddlewareCall<Request, Response>,
  context: CallContext,
): AsyncGenerator<Response, Response | void, undefined> {
  if (!call.requestStream && isUndecodable(call.request)) {
    const reason = call.request[UNDECODABLE];
    throw new ServerError(
      Status.INVALID_ARGUMENT,
      reason instanceof InvalidArgumentError
        ? reason.message
        : `request: not a valid ${call.method.path} request message (${reason})`,
    );
  }
  return yield* call.next(call.request, context);
}

function isUndecodable(value: unknown): value is Undecodable {
  return typeof value === 'object' && value !== null && UNDECODABLE in value;
}
