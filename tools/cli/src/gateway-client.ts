import { gatewayv1 } from '@feedmesh/contracts';
import {
  ClientError,
  createServiceClient,
  type ClientHandle,
  type ServiceClient,
} from '@feedmesh/service-kit';
import { describeGrpcError } from './cli-errors.js';

export type GatewayDefinition = typeof gatewayv1.FeedGatewayServiceDefinition;
export type GatewayClient = ServiceClient<GatewayDefinition>;

export const DEFAULT_GATEWAY_ADDRESS = '127.0.0.1:50051';

/** Deadline of one CLI call: generous, a person is waiting but the playground may be busy. */
const CALL_DEADLINE_MS = 30_000;

/**
 * A gateway client. A gateway run with GATEWAY_AUTH_TOKENS wants one of them: the CLI sends
 * FEEDMESH_TOKEN (an environment variable, so the secret stays out of shell history).
 */
export function connectGateway(
  address: string,
  token: string | undefined = process.env.FEEDMESH_TOKEN || undefined,
): ClientHandle<GatewayDefinition> {
  return createServiceClient(gatewayv1.FeedGatewayServiceDefinition, address, {
    deadlineMs: CALL_DEADLINE_MS,
    bearerToken: token,
  });
}

/**
 * Runs `work` with a gateway client and closes it after. A gRPC failure comes out as a
 * CommandFailedError reading `<STATUS>: <details>`, with a hint when nothing listens.
 */
export async function withGateway<T>(
  address: string,
  work: (client: GatewayClient) => Promise<T>,
): Promise<T> {
  const handle = connectGateway(address);
  try {
    return await work(handle.client);
  } catch (error) {
    if (error instanceof ClientError) throw describeGrpcError(error, address);
    throw error;
  } finally {
    handle.close();
  }
}
