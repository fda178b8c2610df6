import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc-common';

const UNDECODABLE = Symbol('undecodable request');

interface Undecodable {
  readonly [UNDECODABLE]: string;
}

interface MessageType {
  decode(input: Uint8Array): unknown;
}

interface TsProtoMethod {
  readonly requestType: MessageType;
}

/**
 * grpc-js answers INTERNAL ("Error deserializing request") when bytes do not decode, before
 * any handler or middleware runs: to a caller that is a server bug, while it is their bad
 * input. So the decoder is wrapped to hand a marker through instead, and the middleware below
 * turns the marker into INVALID_ARGUMENT.
 */
export function withTolerantDecoding<D>(definition: D): D {
  const methods = (definition as { methods?: Record<string, TsProtoMethod> }).methods;
  if (!methods) return definition;
  const wrapped = Object.fromEntries(
    Object.entries(methods).map(([key, method]) => {
      const decode = method.requestType.decode;
      const tolerant = (input: Uint8Array): unknown => {
        try {
          return decode(input);
        } catch (error) {
          return { [UNDECODABLE]: error instanceof Error ? error.message : String(error) };
        }
      };
      return [key, { ...method, requestType: { ...method.requestType, decode: tolerant } }];
    }),
  );
  return { ...definition, methods: wrapped };
}

export async function* undecodableRequestMiddleware<Request, Response>(
  call: ServerMiddlewareCall<Request, Response>,
  context: CallContext,
): AsyncGenerator<Response, Response | void, undefined> {
  if (!call.requestStream && isUndecodable(call.request)) {
    throw new ServerError(
      Status.INVALID_ARGUMENT,
      `request: not a valid ${call.method.path} request message (${call.request[UNDECODABLE]})`,
    );
  }
  return yield* call.next(call.request, context);
}

function isUndecodable(value: unknown): value is Undecodable {
  return typeof value === 'object' && value !== null && UNDECODABLE in value;
}
