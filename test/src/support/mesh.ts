import { gatewayv1 } from '@feedmesh/contracts';
import { createServiceClient, freePorts, type ServiceClient } from '@feedmesh/service-kit';
import { ServiceProcess, type ServiceName } from './mesh-processes.js';

export type GatewayClient = ServiceClient<typeof gatewayv1.FeedGatewayServiceDefinition>;

export const DOWNSTREAM: readonly ServiceName[] = [
  'feature-store',
  'candidate-generation',
  'ranker',
  'search',
  'notification',
];

const ADDRESS_VARIABLE: Record<Exclude<ServiceName, 'feed-gateway'>, string> = {
  'feature-store': 'FEATURE_STORE_ADDR',
  'candidate-generation': 'CANDIDATE_GENERATION_ADDR',
  ranker: 'RANKER_ADDR',
  search: 'SEARCH_ADDR',
  notification: 'NOTIFICATION_ADDR',
};

export interface MeshOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  /** Added to every service's environment. */
  readonly env?: Record<string, string>;
  /** Added to one service's environment (after `env`). */
  readonly serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /**
   * The downstream services to run; default all. The others keep their reserved address, with
   * nothing listening there: to the gateway they are down.
   */
  readonly services?: readonly ServiceName[];
  /** The gateway client's deadline for calls that name none, ms. Default 10 s. */
  readonly clientDeadlineMs?: number;
}

/**
 * Every service as its own process on one Redis, as in production, each on a fixed port
 * chosen up front so a service can be crashed and started again at the same address: its
 * callers keep their channels and must reconnect by themselves.
 */
export class Mesh {
  private readonly processes = new Map<ServiceName, ServiceProcess>();
  private readonly ports = new Map<ServiceName, number>();
  private closeGateway: () => void = () => undefined;
  private gatewayClient: GatewayClient | undefined;

  private constructor(private readonly options: MeshOptions) {}

  /**
   * Starts the downstream services together, then the gateway. If any fails to start, the
   * others are stopped before the error is thrown.
   */
  static async start(options: MeshOptions): Promise<Mesh> {
    const mesh = new Mesh(options);
    try {
      const names = [...DOWNSTREAM, 'feed-gateway'] as const;
      // Chosen together, so no two services are given the same port.
      const ports = await freePorts(names.length);
      names.forEach((name, i) => mesh.ports.set(name, ports[i]!));
      const wanted = DOWNSTREAM.filter((name) => options.services?.includes(name) ?? true);
      const started = await Promise.allSettled(wanted.map((name) => mesh.launch(name)));
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      await mesh.launch('feed-gateway');
      const handle = createServiceClient(
        gatewayv1.FeedGatewayServiceDefinition,
        mesh.address('feed-gateway'),
        { deadlineMs: options.clientDeadlineMs ?? 10_000, retryMaxAttempts: 1 },
      );
      mesh.gatewayClient = handle.client;
      mesh.closeGateway = handle.close;
      return mesh;
    } catch (error) {
      await mesh.stop();
      throw error;
    }
  }

  get gateway(): GatewayClient {
    if (this.gatewayClient === undefined) throw new Error('the mesh is not started');
    return this.gatewayClient;
  }

  address(name: ServiceName): string {
    return `127.0.0.1:${this.ports.get(name)}`;
  }

  /** The environment `name` runs with: every address, the shared and its own settings. */
  private envOf(name: ServiceName): Record<string, string> {
    const addresses = Object.fromEntries(
      Object.entries(ADDRESS_VARIABLE).map(([service, variable]) => [
        variable,
        this.address(service as ServiceName),
      ]),
    );
    return {
      REDIS_URL: this.options.redisUrl,
      REDIS_PREFIX: this.options.prefix,
      // Nothing exported; the 'listening' line the harness waits for is at info.
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      LOG_LEVEL: 'info',
      ...addresses,
      ...this.options.env,
      ...this.options.serviceEnv?.[name],
      GRPC_LISTEN: this.address(name),
    };
  }

  /** SIGKILL: no drain, no acknowledgement of work in hand. Resolves once it exited. */
  async crash(name: ServiceName): Promise<void> {
    const service = this.processes.get(name);
    if (service === undefined) throw new Error(`${name} was never started`);
    await service.crash();
  }

  /**
   * Starts `name` again at its address (after a crash or a stop) and resolves once it
   * listens; `env` is added to its environment for this run.
   */
  async restart(name: ServiceName, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const previous = this.processes.get(name);
    if (previous?.running) throw new Error(`${name} is still running`);
    return this.launch(name, env);
  }

  /** The services not running now (crashed and not restarted, or exited), with how they ended. */
  notRunning(): string[] {
    return [...this.processes.values()]
      .filter((service) => !service.running)
      .map((service) => `${service.name} exited (${service.exitStatus})`);
  }

  /** Stops every service (SIGTERM, SIGKILL after 10 s). Safe to call more than once. */
  async stop(): Promise<void> {
    this.closeGateway();
    this.closeGateway = () => undefined;
    await Promise.all([...this.processes.values()].map((service) => service.stop()));
  }

  private async launch(
    name: ServiceName,
    env: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    // A minute: a service that rebuilds its index from the log before it listens, on a
    // machine other work keeps busy, can take a while.
    const service = await ServiceProcess.start(
      name,
      { ...this.envOf(name), ...env },
      { startTimeoutMs: 60_000 },
    );
    this.processes.set(name, service);
    return service;
  }
}
