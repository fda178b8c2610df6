import { waitFor } from '@feedmesh/testing';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExperimentConfigError } from './experiment-config.js';
import { ExperimentConfigWatcher } from './experiment-config-watcher.js';

const ONE = `
layers:
  - id: ranking
    experiments:
      - key: first
        variants: [{ name: control }, { name: treatment, overrides: { model: feed-v2 } }]
`;
const TWO = ONE.replace('key: first', 'key: second');
const BROKEN = ONE.replace('{ name: control }', '{ name: control, weight: 3 }');

describe('ExperimentConfigWatcher', () => {
  let dir: string;
  let watcher: ExperimentConfigWatcher | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'experiments-'));
  });

  afterEach(async () => {
    watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const keys = (w: ExperimentConfigWatcher) =>
    w.current().layers.flatMap((l) => l.experiments.map((e) => e.key));

  it('reloads the config when the file is rewritten, without a restart', async () => {
    const file = join(dir, 'experiments.yaml');
    await writeFile(file, ONE);
    const reloaded: string[][] = [];
    watcher = await ExperimentConfigWatcher.open(file, {
      onReload: (config) =>
        reloaded.push(config.layers.flatMap((l) => l.experiments.map((e) => e.key))),
    });
    assert.deepEqual(keys(watcher), ['first']);

    await writeFile(file, TWO);
    await waitFor('the reload', () => watcher?.reloadCount() === 1);
    assert.deepEqual(keys(watcher), ['second']);
    assert.deepEqual(reloaded, [['second']]);
  });

  it('keeps the last good config on a bad edit and reports the error naming the path', async () => {
    const file = join(dir, 'experiments.yaml');
    await writeFile(file, ONE);
    const errors: unknown[] = [];
    watcher = await ExperimentConfigWatcher.open(file, { onError: (error) => errors.push(error) });

    await writeFile(file, BROKEN);
    await waitFor('the error report', () => errors.length > 0);
    assert.deepEqual(keys(watcher), ['first'], 'the previous config stays in force');
    const error = errors[0];
    assert.ok(error instanceof ExperimentConfigError);
    assert.equal(error.variable, 'layers[0].experiments[0].variants[0].weight');
    assert.equal(watcher.lastError(), error);

    await writeFile(file, TWO);
    await waitFor('recovery', () => watcher?.reloadCount() === 1);
    assert.deepEqual(keys(watcher), ['second']);
    assert.equal(watcher.lastError(), undefined);
  });

  it('follows a ConfigMap-style symlink swap of the mounted folder', async () => {
    // Kubernetes mounts experiments.yaml -> ..data/experiments.yaml and swaps ..data atomically.
    await mkdir(join(dir, '..v1'));
    await writeFile(join(dir, '..v1', 'experiments.yaml'), ONE);
    await symlink('..v1', join(dir, '..data'));
    await symlink(join('..data', 'experiments.yaml'), join(dir, 'experiments.yaml'));
    watcher = await ExperimentConfigWatcher.open(join(dir, 'experiments.yaml'));
    assert.deepEqual(keys(watcher), ['first']);

    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v2', 'experiments.yaml'), TWO);
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor('the swap to be seen', () => watcher?.reloadCount() === 1);
    assert.deepEqual(keys(watcher), ['second']);
  });

  it('refuses to start on an invalid file', async () => {
    const file = join(dir, 'experiments.yaml');
    await writeFile(file, BROKEN);
    await assert.rejects(ExperimentConfigWatcher.open(file), ExperimentConfigError);
  });
});
