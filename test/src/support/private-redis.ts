import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { trackChild } from './mesh-processes.js';

/** A Redis user for `PrivateRedis`: its name, password and ACL rules (`+@all -xack`). */
export interface RedisUser {
  readonly name: string;
  readonly password: string;
  readonly rules: string;
}

/**
 * A redis-server of the test's own, on a free port, with its data in a temporary directory:
 * for tests that restart or crash Redis, which must never touch the machine's shared one.
 *
 * Persistence is `appendonly yes` with `appendfsync always`: Redis answers a write only once
 * it is on disk, so a write acknowledged before a crash is there after the restart, which is
 * what "acknowledged events are durable" rests on. It runs in the foreground as a child of
 * the test process (tracked: killed if the test process exits), never daemonized.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly users: readonly RedisUser[],
  ) {}

  static async start(
    options: { readonly users?: readonly RedisUser[] } = {},
  ): Promise<PrivateRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'feedmesh-chaos-redis-'));
    const redis = new PrivateRedis(await freePort(), dir, options.users ?? []);
    try {
      await redis.launch();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return redis;
  }

  /** The URL for the default user, or for `user` (one of those given to `start`). */
  url(user?: RedisUser): string {
    const auth = user
      ? `${encodeURIComponent(user.name)}:${encodeURIComponent(user.password)}@`
      : '';
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** A crash: SIGKILL, no chance to save. What was acknowledged is in the append-only file. */
  async crash(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SHUTDOWN as an operator would (SIGTERM): flushes the append-only file, then exits. */
  async shutdown(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Starts it again on the same port and directory: it reloads the append-only file. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('redis is still running');
    await this.launch();
  }

  /** Stops it and deletes its directory. Safe to call more than once. */
  async destroy(): Promise<void> {
    await this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  private async launch(): Promise<void> {
    const config = [
      `port ${this.port}`,
      'bind 127.0.0.1',
      `dir ${this.dir}`,
      'save ""',
      'appendonly yes',
      'appendfsync always',
      'daemonize no',
      ...this.users.map((u) => `user ${u.name} on >${u.password} ~* &* ${u.rules}`),
    ].join('\n');
    const configFile = join(this.dir, 'redis.conf');
    writeFileSync(configFile, `${config}\n`);
    const output: string[] = [];
    const child = trackChild(
      spawn('redis-server', [configFile], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!this.running) throw new Error(`redis-server exited at start:\n${output.join('')}`);
      if (await this.answersPing()) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not answer within 10 s:\n${output.join('')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** PONG, and done loading the append-only file (LOADING errors until then). */
  private async answersPing(): Promise<boolean> {
    const client = new Redis(this.url(), {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
