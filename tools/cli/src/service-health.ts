import { createServiceClient, HealthDefinition } from '@feedmesh/service-kit';

/**
 * grpc.health.v1's answer to Check (the proto's enum names). Every Feedmesh server answers it
 * (service-kit's startGrpcServer); SERVING is what a Kubernetes readiness probe waits for.
 */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const SERVING_STATUSES: readonly ServingStatus[] = [
  'UNKNOWN',
  'SERVING',
  'NOT_SERVING',
  'SERVICE_UNKNOWN',
];

/** A health client for one address; `check()` rejects with the gRPC failure (ClientError). */
export interface HealthProbe {
  check(signal?: AbortSignal): Promise<ServingStatus>;
  close(): void;
}

/** How long one Check may take, ms: a kubelet probe's `timeoutSeconds` in the manifests. */
const CHECK_DEADLINE_MS = 2_000;

export function healthProbe(address: string): HealthProbe {
  const handle = createServiceClient(HealthDefinition, address, {
    deadlineMs: CHECK_DEADLINE_MS,
    maxRetries: 0,
    retryThrottle: false,
  });
  return {
    // The server as a whole (service ''), as a kubelet `grpc:` probe without a `service` asks.
    check: async (signal) => {
      const { status } = await handle.client.check(
        { service: '' },
        signal === undefined ? {} : { signal },
      );
      return SERVING_STATUSES[status] ?? 'UNKNOWN';
    },
    close: () => handle.close(),
  };
}
