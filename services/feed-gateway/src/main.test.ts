import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** The environment without REDIS_URL: the process runs embedded, in memory. */
function withoutRedis(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDIS_URL: _unset, ...rest } = env;
  return rest;
}

describe('feed-gateway process refusing a start (node dist/main.js)', () => {
  it('names EXPERIMENTS_FILE in one line and exits 1 when the file is missing', async () => {
    const child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...withoutRedis(process.env),
        GRPC_LISTEN: '127.0.0.1:0',
        LOG_LEVEL: 'silent',
        OTEL_SDK_DISABLED: 'true',
        EXPERIMENTS_FILE: '/nonexistent/exp.yaml',
      },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^feed-gateway: configuration EXPERIMENTS_FILE: cannot load \/nonexistent\/exp\.yaml: ENOENT[^\n]*\n$/,
    );
  });
});
