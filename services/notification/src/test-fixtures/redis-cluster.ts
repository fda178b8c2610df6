import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@feedmesh/testing';

const run = promisify(execFile);

/** A throwaway three-master Redis Cluster on free local ports, for tests. */
export interface TestCluster {
  /** A seed node URL, for REDIS_URL with REDIS_CLUSTER=true. */
  readonly url: string;
  shutdown(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'notification-cluster-'));
  const ports: number[] = [];
  // Children of this process (not daemonized), so their exit is reaped here.
  const nodes: ChildProcess[] = [];
  const shutdown = async (): Promise<void> => {
    await Promise.all(
      nodes.map(async (node, i) => {
        if (node.exitCode !== null || node.signalCode !== null) return;
        const exited = once(node, 'exit');
        await run('redis-cli', ['-p', String(ports[i]), 'shutdown', 'nosave']).catch(() =>
          node.kill('SIGKILL'),
        );
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      nodes.push(
        spawn(
          'redis-server',
          [
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
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await waitFor('the cluster nodes to answer', async () => {
      const replies = await Promise.all(
        ports.map((port) =>
          run('redis-cli', ['-p', String(port), 'ping']).then((r) => r.stdout.trim()),
        ),
      );
      return replies.every((reply) => reply === 'PONG');
    });
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitFor(
      'cluster_state:ok',
      async () => {
        const states = await Promise.all(
          ports.map((port) =>
            run('redis-cli', ['-p', String(port), 'cluster', 'info']).then((r) => r.stdout),
          ),
        );
        return states.every((info) => info.includes('cluster_state:ok'));
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    return { url: `redis://127.0.0.1:${ports[0]}`, shutdown };
  } catch (error) {
    await shutdown();
    throw error;
  }
}
