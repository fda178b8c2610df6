import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { featuresv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { featureSchema } from './feature-schema.js';

/** Starts `node dist/main.js` and resolves with the address it logs once listening. */
async function startProcess(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; address: string }> {
  // Embedded means no REDIS_URL, not the one the test run was given.
  const inherited = { ...process.env };
  if (env['REDIS_URL'] === undefined) delete inherited['REDIS_URL'];
  const child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...inherited, GRPC_LISTEN: '127.0.0.1:0', OTEL_SDK_DISABLED: 'true', ...env },
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const entry = JSON.parse(line) as { msg?: string; address?: string };
    if (entry.msg === 'feature-store listening' && entry.address) {
      // Keep reading so the child never blocks on a full pipe.
      child.stdout!.resume();
      return { child, address: entry.address };
    }
  }
  throw new Error('feature-store exited before listening');
}

describe('feature-store process (node dist/main.js)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  const deployments: [string, () => { env: Record<string, string>; cleanup(): Promise<void> }][] = [
    ['embedded', () => ({ env: {}, cleanup: async () => undefined })],
    [
      'on Redis',
      () => {
        const prefix = uniquePrefix('fs-main');
        return {
          env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
          cleanup: () => testRedis(prefix).cleanup(),
        };
      },
    ],
  ];

  for (const [name, deploy] of deployments) {
    it(`starts ${name}, answers GetFeatures, and exits 0 on SIGTERM`, async () => {
      const deployment = deploy();
      try {
        const started = await startProcess(deployment.env);
        child = started.child;
        const exited = once(child, 'exit');
        const { client, close } = createServiceClient(
          featuresv1.FeatureStoreServiceDefinition,
          started.address,
          { deadlineMs: 5_000 },
        );
        const response = await client.getFeatures({ userId: 'u1', postIds: ['p1'] });
        close();
        assert.equal(response.schema, featureSchema.version);
        assert.equal(response.candidates?.rows, 1);
        child.kill('SIGTERM');
        const [code] = await exited;
        assert.equal(code, 0);
      } finally {
        await deployment.cleanup();
      }
    });
  }

  it('refuses a bad variable by name and exits 1', async () => {
    child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OTEL_SDK_DISABLED: 'true', FEATURE_STORE_LIST_CAP: '0' },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /FEATURE_STORE_LIST_CAP/);
  });
});
