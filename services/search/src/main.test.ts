import assert from 'node:assert/strict';
import { runMainProcess } from '@feedmesh/testing';

const MAIN = new URL('./main.js', import.meta.url).pathname;

describe('search process refusing a start (node dist/main.js)', () => {
  it('names SEARCH_CONTENT_MODELS_FILE in one line and exits 1 when the file is missing', async () => {
    const result = await runMainProcess(MAIN, {
      SEARCH_CONTENT_MODELS_FILE: '/nonexistent/cm.json',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_CONTENT_MODELS_FILE: cannot load \/nonexistent\/cm\.json: ENOENT[^\n]*\n$/,
    );
  });

  it('names SEARCH_SNAPSHOT_DIR in one line and exits 1 when it cannot be a directory', async () => {
    const result = await runMainProcess(MAIN, { SEARCH_SNAPSHOT_DIR: '/etc/hostname/x' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_SNAPSHOT_DIR: cannot create \/etc\/hostname\/x: ENOTDIR[^\n]*\n$/,
    );
  });

  it('fails rather than hangs on a SEARCH_SNAPSHOT_DIR under /proc', async function () {
    if (process.platform !== 'linux') this.skip();
    const result = await runMainProcess(MAIN, { SEARCH_SNAPSHOT_DIR: '/proc/feedmesh-nope' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_SNAPSHOT_DIR: cannot create \/proc\/feedmesh-nope: ENOENT[^\n]*\n$/,
    );
  });
});
