import {
  ServerInterceptingCall,
  type Deadline,
  type ServerInterceptor,
  type ServerInterceptingCallInterface,
} from '@grpc/grpc-js';
import type { CallContext } from 'nice-grpc-common';

/**
 * The request metadata key that carries the caller's deadline to handlers, ms since the epoch.
 * Reserved: the server sets it on every call from the call's own deadline and removes any value
 * a client sent under it, so what a handler reads there is the deadline gRPC enforces.
 */
export const CALL_DEADLINE_METADATA_KEY = 'feedmesh-call-deadline-ms';

/**
 * grpc-js reads the caller's deadline from the `grpc-timeout` header and strips the header, and
 * nice-grpc's CallContext has no deadline: only a grpc-js interceptor sees it. This one writes
 * it into the metadata the handler receives, under CALL_DEADLINE_METADATA_KEY.
 */
export const callDeadlineInterceptor: ServerInterceptor = (_method, next) =>
  new ServerInterceptingCall(next, {
    start: (startNext) =>
      startNext({
        onReceiveMetadata: (metadata, metadataNext) => {
          metadata.remove(CALL_DEADLINE_METADATA_KEY);
          const at = deadlineOf(next);
          if (at !== undefined) metadata.set(CALL_DEADLINE_METADATA_KEY, String(at));
          metadataNext(metadata);
        },
      }),
  });

/** The call's deadline, ms since the epoch; undefined when the caller set none. */
function deadlineOf(call: ServerInterceptingCallInterface): number | undefined {
  const deadline: Deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? Math.floor(ms) : undefined;
}

/**
 * When the caller stops waiting for this call, ms since the epoch: the deadline its client sent
 * (`grpc-timeout`: grpc-js with a `deadline`, grpc-go, grpcurl's `-max-time`), which the server
 * enforces with DEADLINE_EXCEEDED. Undefined when it sent none, as nice-grpc clients, the mesh's
 * own `createServiceClient` among them, never do: their deadline stays on the client's side.
 */
export function callDeadline(context: Pick<CallContext, 'metadata'>): number | undefined {
  const value = context.metadata.get(CALL_DEADLINE_METADATA_KEY);
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * What is left of the caller's deadline, ms (0 once it passed); undefined without one. A handler
 * that plans its work against a time budget of its own takes the smaller of the two.
 */
export function callRemainingMs(
  context: Pick<CallContext, 'metadata'>,
  now: number = Date.now(),
): number | undefined {
  const deadline = callDeadline(context);
  return deadline === undefined ? undefined : Math.max(0, deadline - now);
}
