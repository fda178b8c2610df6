import { candidatesv1 } from '@feedmesh/contracts';
import {
  bindService,
  startGrpcServer,
  type GrpcServerOptions,
  type RunningServer,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';

/** The benchmark's servers, the real one and both floors, are served alike. */
export const BENCH_SERVER_OPTIONS: Omit<GrpcServerOptions, 'name' | 'services'> = {
  listen: '127.0.0.1:0',
  maxMessageBytes: 16 * 1024 * 1024,
  unaryTimeoutMs: 10_000,
  drainTimeoutMs: 1_000,
  logger: createLogger('bench', { level: 'silent' }),
};

/**
 * A transport floor: a gRPC server that answers every Generate with one canned response, so a
 * call's time is the gRPC stack's and the response's encoding and decoding alone.
 */
export function startCannedServer(
  name: string,
  canned: candidatesv1.GenerateResponse,
): Promise<RunningServer> {
  return startGrpcServer({
    ...BENCH_SERVER_OPTIONS,
    name,
    services: [
      bindService(candidatesv1.CandidateGenerationServiceDefinition, {
        generate: async () => canned,
        describePosts: async () => ({ posts: [] }),
        trending: async () => ({ tags: [], posts: [] }),
      }),
    ],
  });
}
