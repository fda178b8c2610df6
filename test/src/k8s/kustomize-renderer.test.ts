import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { objectId, parseImage, parseYaml, type K8sObject } from './support/kustomize.js';
import { K8S_ROOT, RENDERING_NAMES, rendering, renderings } from './support/renderings.js';
import { strategicMerge, type Json } from './support/strategic-merge.js';

const run = promisify(execFile);

describe('k8s: the test renderer of kustomizations', () => {
  describe('strategic merge', () => {
    it('merges env by name, putting new variables first as kustomize does', () => {
      const merged = strategicMerge(
        {
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        {
          env: [
            { name: 'B', value: 'patched' },
            { name: 'C', value: '3' },
          ],
        },
      );
      assert.deepEqual(merged, {
        env: [
          { name: 'C', value: '3' },
          { name: 'A', value: '1' },
          { name: 'B', value: 'patched' },
        ],
      });
    });

    it('replaces lists without a merge key and deletes keys patched to null', () => {
      const merged = strategicMerge(
        { args: ['a', 'b'], keep: 1, drop: 2 },
        { args: ['c'], drop: null },
      );
      assert.deepEqual(merged, { args: ['c'], keep: 1 });
    });

    it('removes a named element marked $patch: delete', () => {
      const merged = strategicMerge(
        {
          containers: [
            { name: 'server', image: 'a' },
            { name: 'sidecar', image: 'b' },
          ],
        },
        { containers: [{ name: 'sidecar', $patch: 'delete' }] } as Json,
      );
      assert.deepEqual(merged, { containers: [{ name: 'server', image: 'a' }] });
    });
  });

  it('reads image references with registries, ports, tags and digests', () => {
    assert.deepEqual(parseImage('feedmesh/ranker:0.1.0'), {
      name: 'feedmesh/ranker',
      tag: '0.1.0',
    });
    assert.deepEqual(parseImage('registry.local:5000/feedmesh/ranker'), {
      name: 'registry.local:5000/feedmesh/ranker',
    });
    assert.deepEqual(parseImage('redis:7@sha256:abc'), {
      name: 'redis',
      tag: '7',
      digest: 'sha256:abc',
    });
  });

  it('renders the base, both overlays, and both with the tracing component', async () => {
    const all = await renderings();
    assert.deepEqual(
      all.map((r) => r.name),
      [
        'base',
        'overlays/dev',
        'overlays/production',
        'overlays/dev + components/tracing',
        'overlays/production + components/tracing',
      ],
    );
    for (const r of all) assert.ok(r.objects.length > 30, `${r.name}: ${r.objects.length} objects`);
  });

  describe('agrees with kustomize itself (kubectl kustomize), where kubectl is installed', () => {
    let kubectl = true;
    before(async function () {
      try {
        await run('kubectl', ['version', '--client'], { timeout: 20_000 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        kubectl = false;
      }
    });

    for (const name of RENDERING_NAMES) {
      it(`renders ${name} object for object as kustomize does`, async function () {
        if (!kubectl) this.skip();
        const r = await rendering(name);
        const theirs = await kubectlKustomize(r.kustomization);
        const ours = byId(r.objects);
        assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), r.name);
        for (const [id, object] of ours)
          assert.deepEqual(object, theirs.get(id), `${r.name}: ${id}`);
      });
    }
  });
});

/** `kubectl kustomize` of a composition, written as a kustomization in a temporary directory. */
async function kubectlKustomize(kustomization: {
  resources?: readonly string[];
  components?: readonly string[];
}): Promise<Map<string, K8sObject>> {
  const dir = await mkdtemp(join(tmpdir(), 'feedmesh-kustomize-'));
  try {
    // Kustomize refuses absolute paths: point at k8s/ relative to the temporary directory.
    const paths = (entries: readonly string[] = []) =>
      entries.map((entry) => `  - ${relative(dir, join(K8S_ROOT, entry))}`).join('\n');
    await writeFile(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        paths(kustomization.resources),
        ...(kustomization.components ? ['components:', paths(kustomization.components)] : []),
        '',
      ].join('\n'),
    );
    const { stdout } = await run('kubectl', ['kustomize', dir], {
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return byId(parseYaml(stdout, 'kubectl kustomize') as K8sObject[]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function byId(objects: readonly K8sObject[]): Map<string, K8sObject> {
  return new Map(objects.map((o) => [objectId(o), o]));
}
