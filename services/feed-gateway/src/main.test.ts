import assert from 'node:assert/strict';
import { runMainProcess } from '@feedmesh/testing';

describe('feed-gateway process refusing a start (node dist/main.js)', () => {
  it('names EXPERIMENTS_FILE in one line and exits 1 when the file is missing', async () => {
    const { code, stderr } = await runMainProcess(new URL('./main.js', import.meta.url).pathname, {
      EXPERIMENTS_FILE: '/nonexistent/exp.yaml',
    });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^feed-gateway: configuration EXPERIMENTS_FILE: cannot load \/nonexistent\/exp\.yaml: ENOENT[^\n]*\n$/,
    );
  });

  it('names a bad OTEL_ variable in one line and exits 1, before anything starts', async () => {
    const { code, stderr } = await runMainProcess(new URL('./main.js', import.meta.url).pathname, {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
    });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^feed-gateway: configuration OTEL_EXPORTER_OTLP_PROTOCOL: unsupported protocol "carrier-pigeon"[^\n]*\n$/,
    );
  });
});
