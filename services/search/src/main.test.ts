import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Runs `node dist/main.js` (embedded) with `env`; resolves with its exit code and stderr. */
async function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...withoutRedis(process.env),
      GRPC_LISTEN: '127.0.0.1:0',
      LOG_LEVEL: 'silent',
      OTEL_SDK_DISABLED: 'true',
      ...env,
    },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

/** The environment without REDIS_URL: the process runs embedded, in memory. */
function withoutRedis(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDIS_URL: _unset, ...rest } = env;
  return rest;
}

describe('search process refusing a start (node dist/main.js)', () => {
  it('names SEARCH_CONTENT_MODELS_FILE in one line and exits 1 when the file is missing', async () => {
    const result = await runMain({ SEARCH_CONTENT_MODELS_FILE: '/nonexistent/cm.json' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_CONTENT_MODELS_FILE: cannot load \/nonexistent\/cm\.json: ENOENT[^\n]*\n$/,
    );
  });

  it('names SEARCH_SNAPSHOT_DIR in one line and exits 1 when it cannot be a directory', async () => {
    const result = await runMain({ SEARCH_SNAPSHOT_DIR: '/etc/hostname/x' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_SNAPSHOT_DIR: cannot create \/etc\/hostname\/x: ENOTDIR[^\n]*\n$/,
    );
  });
});
