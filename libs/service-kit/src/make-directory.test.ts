import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from './make-directory.js';

describe('makeDirectory (mkdir -p that always settles)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'feedmesh-mkdir-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates every missing level, and is a no-op when the directory exists', async () => {
    const path = join(root, 'a', 'b', 'c');
    await makeDirectory(path);
    assert.ok((await stat(path)).isDirectory());
    await makeDirectory(path);
    assert.ok((await stat(path)).isDirectory());
  });

  it('refuses a path through a file with ENOTDIR', async () => {
    await writeFile(join(root, 'file'), '');
    await assert.rejects(makeDirectory(join(root, 'file', 'sub')), { code: 'ENOTDIR' });
  });

  it('fails under /proc instead of spinning as recursive mkdir does', async function () {
    if (process.platform !== 'linux') this.skip();
    await assert.rejects(makeDirectory('/proc/feedmesh-nope/snapshots'), { code: 'ENOENT' });
  });
});
