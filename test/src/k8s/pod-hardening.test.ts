import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { RUN_AS_USER, entryOf } from './support/feedmesh-services.js';
import { parseImage } from './support/kustomize.js';
import { REPO_ROOT, RENDERING_NAMES, rendering } from './support/renderings.js';
import { named, quantity, workloads, type Workload } from './support/workloads.js';

/** A container's security setting, falling back to the pod's as Kubernetes does. */
function effective<K extends 'runAsNonRoot' | 'runAsUser' | 'runAsGroup' | 'seccompProfile'>(
  target: Workload,
  container: IContainer,
  key: K,
) {
  return container.securityContext?.[key] ?? target.podSpec.securityContext?.[key];
}

describe('k8s: every pod is least-privileged and bounded', () => {
  for (const name of RENDERING_NAMES) {
    describe(name, () => {
      it('every container runs as a fixed non-root uid, read-only, unprivileged, all capabilities dropped, RuntimeDefault seccomp', async () => {
        const { objects } = await rendering(name);
        for (const target of workloads(objects)) {
          const spec = target.podSpec;
          assert.notEqual(spec.hostNetwork, true, target.name);
          assert.notEqual(spec.hostPID, true, target.name);
          assert.notEqual(spec.hostIPC, true, target.name);
          for (const container of [...target.containers, ...(spec.initContainers ?? [])]) {
            const where = `${target.name}/${container.name}`;
            const context = container.securityContext;
            assert.equal(effective(target, container, 'runAsNonRoot'), true, where);
            assert.equal(effective(target, container, 'runAsUser'), RUN_AS_USER, where);
            assert.equal(effective(target, container, 'runAsGroup'), RUN_AS_USER, where);
            assert.equal(
              effective(target, container, 'seccompProfile')?.type,
              'RuntimeDefault',
              where,
            );
            assert.equal(context?.readOnlyRootFilesystem, true, where);
            assert.equal(context?.allowPrivilegeEscalation, false, where);
            assert.notEqual(context?.privileged, true, where);
            assert.deepEqual(context?.capabilities?.drop, ['ALL'], where);
            assert.equal(context?.capabilities?.add, undefined, where);
          }
        }
      });

      it('every container requests and is limited in CPU and memory; the V8 heap fits the limit', async () => {
        const { objects } = await rendering(name);
        for (const target of workloads(objects)) {
          for (const container of target.containers) {
            const where = `${target.name}/${container.name}`;
            const { requests = {}, limits = {} } = container.resources ?? {};
            for (const resource of ['cpu', 'memory']) {
              const request = quantity(requests[resource]);
              const limit = quantity(limits[resource]);
              assert.ok(request > 0, `${where} requests ${resource}`);
              assert.ok(
                limit >= request,
                `${where}: ${resource} limit ${limits[resource]} >= request`,
              );
            }
            // A Feedmesh container is Node: without a cap of its own, V8 sizes its heap from
            // the machine's memory rather than the container's limit.
            const options = container.env?.find((v) => v.name === 'NODE_OPTIONS')?.value ?? '';
            const oldSpace = /--max-old-space-size=(\d+)/.exec(options);
            if (/^feedmesh\//.test(container.image ?? ''))
              assert.ok(oldSpace, `${where}: NODE_OPTIONS caps the old space`);
            if (oldSpace !== null) {
              const limitMiB = quantity(limits['memory']) / 2 ** 20;
              // The young generation is three semi-spaces (16 MiB each by default): with
              // --max-semi-space-size=256 that is 768 MiB more. V8 collects when the heap
              // reaches its cap, but the kernel kills at the limit, and the rest of the process
              // (code, gRPC and Redis buffers, native stream state) lives outside the heap:
              // about 50 MB at rest (RSS less heap of the ranker, notification and gateway, idle).
              // A fifth of the limit is left for it.
              const semiSpace = /--max-semi-space-size=(\d+)/.exec(options);
              const heapMiB = Number(oldSpace[1]) + 3 * Number(semiSpace?.[1] ?? 16);
              assert.ok(
                heapMiB <= 0.8 * limitMiB,
                `${where}: a heap of ${heapMiB} MiB, young generation included, leaves a fifth of the ${limitMiB} MiB limit for the rest`,
              );
            }
          }
        }
      });

      it('every pod has its own ServiceAccount and no API token', async () => {
        const { objects } = await rendering(name);
        for (const target of workloads(objects)) {
          const account = target.podSpec.serviceAccountName;
          assert.ok(
            account !== undefined && account !== 'default',
            `${target.name} names its account`,
          );
          assert.equal(target.podSpec.automountServiceAccountToken, false, target.name);
          const object = named<IServiceAccount>(objects, 'ServiceAccount', account);
          assert.ok(object, `${target.name}: ServiceAccount ${account} is rendered`);
          assert.equal(object.automountServiceAccountToken, false, account);
        }
      });

      it('every image is pinned, and every Feedmesh image is built from a service of this repo', async () => {
        const { objects } = await rendering(name);
        for (const target of workloads(objects)) {
          for (const container of target.containers) {
            const image = parseImage(container.image ?? '');
            assert.ok(
              image.tag !== undefined || image.digest !== undefined,
              `${container.image} is pinned`,
            );
            assert.notEqual(image.tag, 'latest', container.image);
            const service = /^feedmesh\/(.+)$/.exec(image.name)?.[1];
            if (service === undefined) continue;
            // A job may run another script of its image; a service runs the image's own.
            const expected = entryOf(target.name);
            assert.equal(service, expected.service, `${target.name} runs the right image`);
            assert.equal(container.command, undefined, `${target.name}: the image's node`);
            // Node's own flags may come first (those NODE_OPTIONS refuses); the script is last.
            const args = container.args ?? ['dist/main.js'];
            assert.ok(
              args.slice(0, -1).every((arg) => arg.startsWith('--')),
              `${target.name}: node flags, then the script: ${args.join(' ')}`,
            );
            assert.equal(
              args[args.length - 1],
              `dist/${expected.script}`,
              `${target.name} runs dist/${expected.script}`,
            );
            const source = expected.script.replace(/\.js$/, '.ts');
            await access(join(REPO_ROOT, 'services', service, 'src', source));
          }
        }
      });
    });
  }
});
