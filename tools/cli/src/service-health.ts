import { createServiceClient } from '@feedmesh/service-kit';

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

/**
 * grpc.health.v1.Health/Check for the server as a whole (service ''), as a kubelet `grpc:`
 * probe without a `service` asks it. Written out here because the generated contracts do not
 * hold grpc.health.v1 and this package does not depend on nice-grpc-server-health: the
 * request is empty on the wire, the response one varint field.
 */
const HealthCheckDefinition = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (_request: Record<string, never>) => new Uint8Array(0),
    requestDeserialize: (_bytes: Uint8Array): Record<string, never> => ({}),
    responseSerialize: (_response: { status: ServingStatus }) => {
      throw new Error('a client never sends a HealthCheckResponse');
    },
    responseDeserialize: (bytes: Uint8Array) => ({ status: statusOf(bytes) }),
    options: {},
  },
} as const;

/** A health client for one address; `check()` rejects with the gRPC failure (ClientError). */
export interface HealthProbe {
  check(signal?: AbortSignal): Promise<ServingStatus>;
  close(): void;
}

/** How long one Check may take, ms: a kubelet probe's `timeoutSeconds` in the manifests. */
const CHECK_DEADLINE_MS = 2_000;

export function healthProbe(address: string): HealthProbe {
  const handle = createServiceClient(HealthCheckDefinition, address, {
    deadlineMs: CHECK_DEADLINE_MS,
    maxRetries: 0,
    retryThrottle: false,
  });
  return {
    check: async (signal) =>
      (await handle.client.check({}, signal === undefined ? {} : { signal })).status,
    close: () => handle.close(),
  };
}

/** HealthCheckResponse's `status` (field 1, a varint); other fields are skipped. */
function statusOf(bytes: Uint8Array): ServingStatus {
  let status = 0;
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('HealthCheckResponse ends inside a varint');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const wireType = key % 8;
    if (wireType === 0) {
      const value = varint();
      if (key >>> 3 === 1) status = value;
    } else if (wireType === 1) at += 8;
    else if (wireType === 2) at += varint();
    else if (wireType === 5) at += 4;
    else throw new Error(`HealthCheckResponse has a field of wire type ${wireType}`);
  }
  return SERVING_STATUSES[status] ?? 'UNKNOWN';
}
