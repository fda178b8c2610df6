import type { Http2Session } from 'node:http2';
import { performance } from 'node:perf_hooks';
import {
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';

/** A status as a call's transport sends it (grpc-js does not export its name). */
type CallStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];

/** One call as the transport sees it: from its first header to its status on the wire. */
interface TrackedCall {
  readonly streaming: boolean;
  /** The connection it came on (undefined should grpc-js stop exposing it: see sessionOf). */
  readonly session: Http2Session | undefined;
  /** A message handed to the transport and not yet taken by it (the client's window is shut). */
  writing: number;
  /** When the transport last took one of its messages (performance.now()). */
  tookAt: number;
  /** Set once the server ended it itself: what the handler sends after is dropped. */
  endedByServer: boolean;
  /** Sends `status` now, behind whatever the transport still holds of the call's messages. */
  end(status: CallStatus): void;
}

/** What a connection had written when last looked at, and since when. */
interface ConnectionProgress {
  bytesWritten: number;
  since: number;
}

/**
 * The calls a server has in flight, unary and streaming apart, seen from the transport (a
 * grpc-js server interceptor), where a call ends when its status is on the wire and a write
 * ends when the client's flow-control window let it out. Middleware cannot see either: it is
 * done before the status is sent, and it is not running while nice-grpc waits for a
 * stream's socket to drain.
 */
export interface InFlightCalls {
  readonly interceptor: ServerInterceptor;
  /**
   * Resolves, with how many streams are open, once no unary call is in flight and every stream
   * still open is stalled: it has a message its client is not taking, and neither a message of
   * it nor a byte of its connection went out for `stalledMs` (counted from this call at the
   * earliest). Progress is measured in bytes, not messages, so a client reading a large message
   * slowly, a window at a time, is not stalled. Never resolves while no stream is left, as then
   * a graceful shutdown ends by itself.
   */
  onlyStalledStreamsLeft(stalledMs: number): Promise<number>;
  /**
   * Ends every call still in flight with `status`, which goes out behind what the transport
   * holds of its messages (a client that reads again gets it), waits up to `graceMs` for them
   * to end, then closes the connections of those that did not: their clients see the
   * connection drop, which gRPC clients report as UNAVAILABLE (a connection closed with
   * CANCEL, grpc-js's forceShutdown, is reported as CANCELLED). Resolves with how many
   * connections it closed.
   */
  endRemainingCalls(status: CallStatus, graceMs: number): Promise<number>;
}

export function inFlightCalls(): InFlightCalls {
  const calls = new Set<TrackedCall>();
  const connections = new Map<Http2Session, ConnectionProgress>();
  const onChange: Array<() => void> = [];
  const changed = () => {
    for (const listener of [...onChange]) listener();
  };

  /** Notes each connection whose written bytes moved since it was last looked at. */
  const observeConnections = (now: number) => {
    const open = new Set<Http2Session>();
    for (const { session } of calls) {
      if (session === undefined) continue;
      open.add(session);
      const bytesWritten = bytesWrittenOf(session);
      const seen = connections.get(session);
      if (seen === undefined || seen.bytesWritten !== bytesWritten) {
        connections.set(session, { bytesWritten, since: now });
      }
    }
    for (const session of connections.keys()) if (!open.has(session)) connections.delete(session);
  };

  /** How long a stream has had a message waiting with nothing of it or its connection moving. */
  const stalledFor = (call: TrackedCall, now: number): number => {
    if (!call.streaming || call.writing === 0) return 0;
    const connection = call.session === undefined ? undefined : connections.get(call.session);
    return now - Math.max(call.tookAt, connection?.since ?? call.tookAt);
  };

  /** The shutdown waiting for only stalled streams to be left, if one is. */
  let waiting: { stalledMs: number; since: number; resolve(streams: number): void } | undefined;
  let polling: NodeJS.Timeout | undefined;
  const poll = () => {
    const now = performance.now();
    observeConnections(now);
    if (waiting === undefined || calls.size === 0) {
      clearInterval(polling);
      polling = undefined;
      return;
    }
    const { stalledMs, since, resolve } = waiting;
    if (now - since < stalledMs) return;
    if (![...calls].every((call) => stalledFor(call, now) >= stalledMs)) return;
    clearInterval(polling);
    polling = undefined;
    waiting = undefined;
    resolve(calls.size);
  };
  /** Polls while a shutdown waits and calls are in flight (a call may come in meanwhile). */
  const keepPolling = () => {
    if (waiting === undefined || polling !== undefined || calls.size === 0) return;
    polling = setInterval(poll, Math.max(10, Math.min(250, waiting.stalledMs / 4)));
    polling.unref();
    poll();
  };

  const interceptor: ServerInterceptor = (method, next) => {
    const call: TrackedCall = {
      streaming: method.requestStream || method.responseStream,
      session: sessionOf(next),
      writing: 0,
      tookAt: performance.now(),
      endedByServer: false,
      end: (status) => {
        call.endedByServer = true;
        next.sendStatus(status);
      },
    };
    calls.add(call);
    keepPolling();
    const ended = () => {
      calls.delete(call);
      changed();
    };
    return new ServerInterceptingCall(tracking(next, call, ended));
  };

  return {
    interceptor,
    onlyStalledStreamsLeft: (stalledMs) =>
      new Promise((resolve) => {
        waiting = { stalledMs, since: performance.now(), resolve };
        keepPolling();
      }),
    endRemainingCalls: async (status, graceMs) => {
      const ending = [...calls];
      for (const call of ending) call.end(status);
      let timer: NodeJS.Timeout | undefined;
      let listener = () => {};
      await new Promise<void>((resolve) => {
        listener = () => {
          if (ending.every((call) => !calls.has(call))) resolve();
        };
        onChange.push(listener);
        timer = setTimeout(resolve, graceMs);
        listener();
      });
      clearTimeout(timer);
      onChange.splice(onChange.indexOf(listener), 1);
      // A call whose connection is unknown is left to the drain timeout.
      const left = new Set(ending.filter((call) => calls.has(call)).map((call) => call.session));
      left.delete(undefined);
      for (const session of left) session?.destroy();
      return left.size;
    },
  };
}

/**
 * The HTTP/2 session a call came on. grpc-js gives an interceptor no public way to it: the
 * first interceptor's `next` is grpc-js's own call object, which holds the stream (grpc-js is
 * pinned; the drain tests fail should this change).
 */
function sessionOf(next: ServerInterceptingCallInterface): Http2Session | undefined {
  return (next as unknown as { stream?: { session?: Http2Session } }).stream?.session;
}

/** Bytes the connection's socket has written; 0 once it is gone (nothing more will move). */
function bytesWrittenOf(session: Http2Session): number {
  try {
    return session.socket?.bytesWritten ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Passes everything through to `next`, counting writes and noting when the call ends. Once
 * the server ended the call itself, what the handler sends after is dropped: its status is
 * already queued, and a message written behind it would fail the stream.
 */
function tracking(
  next: ServerInterceptingCallInterface,
  call: TrackedCall,
  ended: () => void,
): ServerInterceptingCallInterface {
  return {
    // grpc-js tells the listener onCancel when the call ends, whether by its status or not.
    start: (listener) =>
      next.start({
        onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
        onReceiveMessage: (message) => listener.onReceiveMessage(message),
        onReceiveHalfClose: () => listener.onReceiveHalfClose(),
        onCancel: () => {
          ended();
          listener.onCancel();
        },
      }),
    sendMetadata: (metadata) => next.sendMetadata(metadata),
    sendMessage: (message, callback) => {
      if (call.endedByServer) return;
      call.writing += 1;
      next.sendMessage(message, () => {
        call.writing -= 1;
        call.tookAt = performance.now();
        callback();
      });
    },
    sendStatus: (status) => {
      if (!call.endedByServer) next.sendStatus(status);
    },
    startRead: () => next.startRead(),
    getPeer: () => next.getPeer(),
    getDeadline: () => next.getDeadline(),
    getHost: () => next.getHost(),
    getAuthContext: () => next.getAuthContext(),
    getConnectionInfo: () => next.getConnectionInfo(),
    getMetricsRecorder: () => next.getMetricsRecorder(),
  };
}
