import { ClientError, createServiceClient, Status, type ClientHandle } from '@feedmesh/service-kit';
import type { MethodDefinition } from 'nice-grpc';

/**
 * How a call ended, as the fuzz report counts it: a gRPC status name (OK, INVALID_ARGUMENT,
 * DEADLINE_EXCEEDED, ...), or one of the two below.
 */
export type Outcome = string;

/**
 * INTERNAL sent by the transport because the bytes do not decode as the request message: no
 * handler ran (grpc-js answers "Error deserializing request").
 */
export const UNDECODABLE = 'INTERNAL (undecodable request)';
/** A server stream still open, with no error, when the caller hung up on purpose. */
export const OPEN_STREAM = 'open stream';

export interface CallResult {
  readonly outcome: Outcome;
  readonly details: string;
  readonly latencyMs: number;
}

type RawMethod = MethodDefinition<Uint8Array, Uint8Array, Uint8Array, Uint8Array>;
type RawHandle = ClientHandle<{ call: RawMethod }>;
/** The method's shape is known only at run time: it is called through this untyped face. */
type RawCall = (
  request: Uint8Array,
  options: { deadline: Date; signal?: AbortSignal },
) => Promise<Uint8Array> | AsyncIterable<Uint8Array>;

const identity = (bytes: Uint8Array): Uint8Array => bytes;

/**
 * Sends raw bytes as the request of any method: clients with identity serializers, so the
 * server gets exactly the bytes the fuzzer made, malformed or not. Never retried (no
 * idempotency level), and with no size limit of its own: the server's limit is what is tested.
 */
export class RawClient {
  private readonly handles = new Map<string, RawHandle>();

  constructor(private readonly address: string) {}

  /**
   * A unary call, or a server stream read until it ends or until `holdMs` if given (then
   * hung up on, and counted as an open stream).
   */
  async call(
    path: string,
    serverStreaming: boolean,
    bytes: Uint8Array,
    deadlineMs: number,
    holdMs?: number,
  ): Promise<CallResult> {
    const call = this.method(path, serverStreaming);
    const started = performance.now();
    const hangUp = new AbortController();
    const timer = holdMs === undefined ? undefined : setTimeout(() => hangUp.abort(), holdMs);
    const deadline = new Date(Date.now() + deadlineMs);
    try {
      if (serverStreaming) {
        const stream = call(bytes, {
          deadline,
          signal: hangUp.signal,
        }) as AsyncIterable<Uint8Array>;
        for await (const _ of stream) {
          // Replayed notifications are fine; read on until the end or the hang-up.
        }
      } else {
        await (call(bytes, { deadline }) as Promise<Uint8Array>);
      }
      return { outcome: 'OK', details: '', latencyMs: performance.now() - started };
    } catch (error) {
      const latencyMs = performance.now() - started;
      if (hangUp.signal.aborted && (error as Error | undefined)?.name === 'AbortError') {
        return { outcome: OPEN_STREAM, details: '', latencyMs };
      }
      if (error instanceof ClientError) {
        const undecodable =
          error.code === Status.INTERNAL && error.details.startsWith('Error deserializing request');
        const outcome = undecodable ? UNDECODABLE : Status[error.code]!;
        return { outcome, details: error.details, latencyMs };
      }
      return { outcome: 'CLIENT ERROR', details: String(error), latencyMs };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    for (const handle of this.handles.values()) handle.close();
    this.handles.clear();
  }

  private method(path: string, serverStreaming: boolean): RawCall {
    let handle = this.handles.get(path);
    if (handle === undefined) {
      const method: RawMethod = {
        path,
        requestStream: false,
        responseStream: serverStreaming,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
        options: {},
      };
      handle = createServiceClient({ call: method }, this.address, {
        deadlineMs: 60_000,
        retryMaxAttempts: 1,
        maxMessageBytes: 1 << 30,
      });
      this.handles.set(path, handle);
    }
    return handle.client.call as unknown as RawCall;
  }
}
