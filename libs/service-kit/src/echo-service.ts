import { echov1 } from '@feedmesh/contracts';
import { delay } from 'abort-controller-x';
import type { CallContext } from 'nice-grpc-common';
import { bindService, type ServiceBinding } from './server.js';
import { requireRange } from './validation.js';

const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * The bare echo service: a smoke test for a deployment, and the transport's own limit in
 * benchmarks (the same payload through gRPC with no work behind it).
 */
export function echoService(): ServiceBinding {
  return bindService(echov1.EchoServiceDefinition, {
    async echo(request: echov1.EchoRequest, context: CallContext): Promise<echov1.EchoResponse> {
      requireRange(request.payload.length, 'payload', 0, MAX_PAYLOAD_BYTES);
      requireRange(request.delayMs, 'delay_ms', 0, 60_000);
      if (request.delayMs > 0) await delay(context.signal, request.delayMs);
      return { payload: request.payload };
    },
  });
}
