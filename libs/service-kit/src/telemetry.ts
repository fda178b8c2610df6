// The bridge to @feedmesh/telemetry: every server and client of the mesh is traced the same way.
import { clientTelemetryMiddleware, serverTelemetryMiddleware } from '@feedmesh/telemetry';

export const serverTelemetry = (serviceName: string) => serverTelemetryMiddleware(serviceName);
export const clientTelemetry = () => clientTelemetryMiddleware();
