import {
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';

/** One call as the transport sees it: from its first header to its status on the wire. */
interface TrackedCall {
  readonly streaming: boolean;
  /** A message handed to the transport and not yet taken by it (the client's window is shut). */
  writing: number;
  /** Messages the transport has taken; a stream whose count moves is not stalled. */
  sent: number;
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
   * Resolves once no unary call is in flight and every stream still open is stalled: it has
   * a message its client is not taking (the client stopped reading), and took nothing for a
   * whole turn of the event loop. Such a stream can end no other way than by closing its
   * connection: its status would wait behind the message. Never resolves while no stream is
   * left, as then a graceful shutdown ends by itself.
   */
  onlyStalledStreamsLeft(): Promise<number>;
}

export function inFlightCalls(): InFlightCalls {
  const calls = new Set<TrackedCall>();
  const waiters: Array<(stalled: number) => void> = [];
  let confirming = false;

  const isStalled = (call: TrackedCall) => call.streaming && call.writing > 0;
  const onlyStalledLeft = () => calls.size > 0 && [...calls].every(isStalled);

  /** Confirms after a turn, in which the transport writes what it can, that nothing moved. */
  const check = () => {
    if (waiters.length === 0 || confirming || !onlyStalledLeft()) return;
    confirming = true;
    const before = new Map([...calls].map((call) => [call, call.sent]));
    setImmediate(() => {
      confirming = false;
      const unchanged = [...calls].every((call) => before.get(call) === call.sent);
      if (!onlyStalledLeft()) return;
      if (!unchanged) return check();
      for (const resolve of waiters.splice(0)) resolve(calls.size);
    });
  };

  const interceptor: ServerInterceptor = (method, next) => {
    const call: TrackedCall = {
      streaming: method.requestStream || method.responseStream,
      writing: 0,
      sent: 0,
    };
    calls.add(call);
    return new ServerInterceptingCall(tracking(next, call, check, () => calls.delete(call)));
  };

  return {
    interceptor,
    onlyStalledStreamsLeft: () =>
      new Promise((resolve) => {
        waiters.push(resolve);
        check();
      }),
  };
}

/** Passes everything through to `next`, counting writes and noting when the call ends. */
function tracking(
  next: ServerInterceptingCallInterface,
  call: TrackedCall,
  changed: () => void,
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
          changed();
        },
      }),
    sendMetadata: (metadata) => next.sendMetadata(metadata),
    sendMessage: (message, callback) => {
      call.writing += 1;
      next.sendMessage(message, () => {
        call.writing -= 1;
        call.sent += 1;
        callback();
        changed();
      });
      changed();
    },
    sendStatus: (status) => next.sendStatus(status),
    startRead: () => next.startRead(),
    getPeer: () => next.getPeer(),
    getDeadline: () => next.getDeadline(),
    getHost: () => next.getHost(),
    getAuthContext: () => next.getAuthContext(),
    getConnectionInfo: () => next.getConnectionInfo(),
    getMetricsRecorder: () => next.getMetricsRecorder(),
  };
}
