import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '@feedmesh/service-kit';

const run = promisify(execFile);

/** A Redis Cluster of three masters on local ports, started for a test suite. */
export interface LocalRedisCluster {
  /** One node's address; a cluster client finds the others from it. */
  readonly url: string;
  readonly ports: readonly number[];
  /** Shuts every node down (nothing saved) and removes their files. */
  stop(): Promise<void>;
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free local ports and joins them with
 * `redis-cli --cluster create` (no replicas), then waits for `cluster_state:ok` on each.
 */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'feedmesh-redis-cluster-'));
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      ports.map((port) =>
        run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => undefined),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Each node also listens on its port + 10,000 (the cluster bus): both stay below the
    // ephemeral range, where no outgoing connection can take them before the node binds.
    ports.push(...(await freePorts(3, { min: 10_000, offsets: [10_000] })));
    for (const port of ports) {
      await run('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'yes',
        '--dir',
        dir,
        '--logfile',
        join(dir, `redis-${port}.log`),
      ]);
    }
    for (const port of ports)
      await until(`node ${port} to answer`, () => answers(port, ['ping'], 'PONG'));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports) {
      await until(`node ${port} to see the cluster ok`, () =>
        answers(port, ['cluster', 'info'], 'cluster_state:ok'),
      );
    }
    return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function answers(port: number, command: string[], expected: string): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), ...command]);
    return stdout.includes(expected);
  } catch {
    return false;
  }
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
