/**
 * The transport floor for the benchmark: a gRPC server like the feature store's (service-kit's
 * server, its middleware, the same V8 flags) whose GetFeatures does no work at all. It answers
 * every request with a response of the real one's shape and size (the registry's columns, a
 * row per post asked for), made once per row count. What a call to it costs is what gRPC
 * between two processes and the client's decoding cost on this machine, with no store
 * behind them: no GetFeatures can be faster. Prints `{"address": "host:port"}` once serving;
 * exits on SIGTERM.
 */
import { packedFeatureStoreDefinition, type PackedFeaturesResponse } from '@feedmesh/contracts';
import {
  bindService,
  loadConfig,
  serverConfigShape,
  serverOptionsFrom,
  startGrpcServer,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { featureSchema } from '../feature-schema.js';

const logger = createLogger('feature-store-floor', { level: 'warn' });
const userNames = featureSchema.user.map((feature) => feature.name);
const candidateNames = featureSchema.candidate.map((feature) => feature.name);
const responses = new Map<number, PackedFeaturesResponse>();

function responseFor(rows: number): PackedFeaturesResponse {
  let response = responses.get(rows);
  if (response === undefined) {
    const values = new Float32Array(rows * candidateNames.length);
    // Not all zeros: some encoders and transports treat runs of zeros specially.
    for (let i = 0; i < values.length; i++) values[i] = (i % 97) / 8;
    response = {
      schema: featureSchema.version,
      user: {
        names: userNames,
        values: new Float32Array(userNames.length).fill(1),
        missing: new Uint8Array(Math.ceil(userNames.length / 8)),
      },
      candidates: {
        names: candidateNames,
        rows,
        values,
        missing: new Uint8Array(Math.ceil(values.length / 8)),
      },
    };
    responses.set(rows, response);
  }
  return response;
}

const server = await startGrpcServer({
  name: 'feature-store-floor',
  // The service's server settings, at their defaults (as the benchmark starts the service).
  ...serverOptionsFrom(loadConfig(serverConfigShape, { GRPC_LISTEN: '127.0.0.1:0' })),
  logger,
  services: [
    bindService(packedFeatureStoreDefinition, {
      async getFeatures(request) {
        return responseFor(request.postIds.length);
      },
      async getUserFeatures() {
        throw new Error('the transport floor serves GetFeatures only');
      },
    }),
  ],
});
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);
process.once('SIGTERM', () => {
  void server.shutdown('SIGTERM').then(() => process.exit(0));
});
