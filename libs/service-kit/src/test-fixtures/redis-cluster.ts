// A Redis Cluster of three masters on local ports, optionally behind a password, for the
// cluster client's tests. (@feedmesh/testing has one too, but it depends on service-kit.)
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../free-ports.js';

const run = promisify(execFile);

export interface LocalRedisCluster {
  readonly ports: readonly number[];
  /** Shuts every node down (nothing saved); the cluster is gone. */
  shutdown(): Promise<void>;
  /** Starts the nodes again from their cluster files; resolves once the cluster is ok. */
  restart(): Promise<void>;
  /** Shuts the nodes down and removes their files. */
  stop(): Promise<void>;
}

export async function startRedisCluster(password?: string): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'service-kit-redis-cluster-'));
  const ports: number[] = [];
  const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
  const cli = (port: number, ...command: string[]) =>
    run('redis-cli', ['-p', String(port), ...auth, ...command]);
  const shutdown = async () => {
    await Promise.all(ports.map((port) => cli(port, 'shutdown', 'nosave').catch(() => undefined)));
  };
  const stop = async () => {
    await shutdown();
    await rm(dir, { recursive: true, force: true });
  };
  const startNodes = async () => {
    for (const port of ports) {
      await run('redis-server', [
        ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', join(dir, `nodes-${port}.conf`)],
        ...['--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--dir', dir],
        ...['--logfile', join(dir, `redis-${port}.log`)],
        ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
      ]);
    }
    for (const port of ports) await until(port, ['ping'], 'PONG');
  };
  const restart = async () => {
    await startNodes();
    for (const port of ports) await until(port, ['cluster', 'info'], 'cluster_state:ok');
  };
  try {
    ports.push(...(await freePorts(3, { min: 10_000, offsets: [10_000] })));
    await startNodes();
    await run('redis-cli', [
      ...auth,
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      ...['--cluster-replicas', '0', '--cluster-yes'],
    ]);
    for (const port of ports) await until(port, ['cluster', 'info'], 'cluster_state:ok');
    return { ports, shutdown, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }

  async function until(port: number, command: string[], expected: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await cli(port, ...command).then(
        ({ stdout }) => stdout,
        () => '',
      );
      if (answer.includes(expected)) return;
      if (Date.now() > deadline) throw new Error(`node ${port} never answered ${expected}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
