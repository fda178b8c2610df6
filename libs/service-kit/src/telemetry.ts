// The bridge to @feedmesh/telemetry: every server and client of the mesh is traced the same way.
import { clientTelemetryMiddleware, serverTelemetryMiddleware } from '@feedmesh/telemetry';

export const serverTelemetry = (serviceName: string) => serverTelemetryMiddleware(serviceName);
/** `address`: the channel's target, for the stable RPC conventions' server.address and server.port. */
export const clientTelemetry = (address: string) =>
  clientTelemetryMiddleware({ serverAddress: address });
