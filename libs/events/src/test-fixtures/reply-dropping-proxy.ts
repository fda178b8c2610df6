import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real Redis that, once armed, cuts the connection a reply carrying
 * `marker` comes on instead of passing that reply on: a network that fails after Redis ran a
 * command and before its client read the answer (the client reconnects and, as ioredis does,
 * sends the unanswered command again).
 */
export class ReplyDroppingProxy {
  private marker: Buffer | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((client) => this.pipe(client));
  /** How many connections it cut. */
  dropped = 0;

  private constructor(
    private readonly redisHost: string,
    private readonly redisPort: number,
  ) {}

  /** Listens on 127.0.0.1, port 0, in front of the Redis of `redisUrl`. */
  static async start(redisUrl: string): Promise<ReplyDroppingProxy> {
    const url = new URL(redisUrl);
    const proxy = new ReplyDroppingProxy(url.hostname, Number(url.port || 6379));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `redisUrl` with the proxy's address: same database, same credentials. */
  urlFor(redisUrl: string): string {
    const url = new URL(redisUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Cuts the connection the next reply holding `marker` comes on (once). */
  dropReplyHolding(marker: string): void {
    this.marker = Buffer.from(marker);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket): void {
    const redis = connect(this.redisPort, this.redisHost);
    for (const socket of [client, redis]) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        redis.destroy();
      });
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => redis.write(chunk));
    redis.on('data', (chunk: Buffer) => {
      if (this.marker !== undefined && chunk.includes(this.marker)) {
        this.marker = undefined;
        this.dropped += 1;
        client.destroy();
        return;
      }
      client.write(chunk);
    });
  }
}
