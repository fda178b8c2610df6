import { connect } from 'node:net';
import { gatewayv1 } from '@feedmesh/contracts';
import {
  ClientError,
  createServiceClient,
  type ClientHandle,
  type ServiceClient,
} from '@feedmesh/service-kit';
import { CommandFailedError, describeGrpcError, type ServiceRole } from './cli-errors.js';

export type GatewayDefinition = typeof gatewayv1.FeedGatewayServiceDefinition;
export type GatewayClient = ServiceClient<GatewayDefinition>;

type ServiceDefinition = Parameters<typeof createServiceClient>[0];
type Channel = ClientHandle<GatewayDefinition>['channel'];

export const DEFAULT_GATEWAY_ADDRESS = '127.0.0.1:50051';

/** Deadline of one CLI call: generous, a person is waiting but the playground may be busy. */
const CALL_DEADLINE_MS = 30_000;

/**
 * How long the CLI waits for a gRPC connection before saying why there is none. A peer that
 * accepts TCP but never speaks HTTP/2 would otherwise hold the call until grpc-js's own 20 s
 * connect timeout.
 */
export const CONNECT_DEADLINE_MS = 5_000;

/**
 * A gateway client. A gateway run with GATEWAY_AUTH_TOKENS wants one of them: the CLI sends
 * FEEDMESH_TOKEN (an environment variable, so the secret stays out of shell history).
 */
export function connectGateway(
  address: string,
  token: string | undefined = process.env.FEEDMESH_TOKEN?.trim() || undefined,
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
export function withGateway<T>(
  address: string,
  work: (client: GatewayClient) => Promise<T>,
): Promise<T> {
  return withConnection(connectGateway(address), address, 'gateway', work);
}

/**
 * Asks the gateway one question that reads and changes nothing (one notification of
 * `userId`), inside `withGateway`. A command that might otherwise call nothing, or count each
 * failed call and carry on, would report success against a wrong --addr: this fails it with
 * the CLI's connect deadline and hints, which name the address.
 */
export async function confirmGatewayAnswers(client: GatewayClient, userId = 'u1'): Promise<void> {
  await client.listNotifications({ userId, pageSize: 1, cursor: '', unreadOnly: false });
}

/**
 * `withGateway` for another service at --addr (the feature store): the same connect deadline
 * and the same `<STATUS>: <details>` errors, with hints that name that service.
 */
export function withServiceClient<D extends ServiceDefinition, T>(
  definition: D,
  address: string,
  role: ServiceRole,
  work: (client: ServiceClient<D>) => Promise<T>,
): Promise<T> {
  const handle = createServiceClient(definition, address, { deadlineMs: CALL_DEADLINE_MS });
  return withConnection(handle, address, role, work);
}

async function withConnection<D extends ServiceDefinition, T>(
  handle: ClientHandle<D>,
  address: string,
  role: ServiceRole,
  work: (client: ServiceClient<D>) => Promise<T>,
): Promise<T> {
  try {
    await connectedWithin(handle.channel, CONNECT_DEADLINE_MS, address, role);
    return await work(handle.client);
  } catch (error) {
    if (error instanceof ClientError) throw describeGrpcError(error, address, role);
    throw error;
  } finally {
    handle.close();
  }
}

// grpc-js's connectivityState values (nice-grpc re-exports the Channel, not the enum).
const IDLE = 0;
const CONNECTING = 1;

/**
 * Waits while the channel is connecting. A channel that fails (refused, unresolvable) is left
 * to the call, whose error names the cause; one still connecting at the deadline is a peer
 * that never answers, reported here.
 */
async function connectedWithin(
  channel: Channel,
  timeoutMs: number,
  address: string,
  role: ServiceRole,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = channel.getConnectivityState(true) as number;
    if (state !== IDLE && state !== CONNECTING) return;
    const changed = await new Promise<boolean>((resolve) =>
      channel.watchConnectivityState(state, deadline, (error) => resolve(error === undefined)),
    );
    if (!changed) throw await connectTimedOut(address, timeoutMs, role);
  }
}

/** Tells a peer that accepts TCP but not gRPC from one that does not accept at all. */
async function connectTimedOut(
  address: string,
  timeoutMs: number,
  role: ServiceRole,
): Promise<CommandFailedError> {
  const seconds = `${timeoutMs / 1000} s`;
  if (await acceptsTcp(address, 1_000)) {
    return new CommandFailedError(
      `UNAVAILABLE: ${address} accepted a TCP connection but did not answer gRPC within ${seconds}`,
      `something other than a gRPC server listens there; point --addr at the ${role}'s gRPC address`,
    );
  }
  return new CommandFailedError(
    `UNAVAILABLE: timed out connecting to ${address} after ${seconds}`,
    `check that the host is reachable and --addr is the ${role}'s address`,
  );
}

function acceptsTcp(address: string, timeoutMs: number): Promise<boolean> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
