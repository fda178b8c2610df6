import assert from 'node:assert/strict';
import { RENDERING_NAMES, rendering } from './support/renderings.js';
import { validateObject } from './support/schema.js';
import type { K8sObject } from './support/kustomize.js';

describe('k8s: every rendered manifest against the Kubernetes schema', () => {
  for (const name of RENDERING_NAMES) {
    it(`${name}: every object validates, with no field the schema does not know`, async () => {
      const { objects } = await rendering(name);
      const problems = (await Promise.all(objects.map(validateObject))).flat();
      assert.deepEqual(problems, []);
    });
  }

  it('reports a misspelt field, a wrong type and an unknown kind', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        selector: { matchLabels: { app: 'broken' } },
        template: {
          metadata: { labels: { app: 'broken' } },
          spec: {
            containers: [
              { name: 'server', image: 'x:1', readinesProbe: { grpc: { port: 50051 } } },
              { name: 'sidecar', image: 'y:1', livenessProbe: { grpc: { port: 'grpc' } } },
            ],
          },
        },
      },
    } as unknown as K8sObject;
    const messages = (await validateObject(deployment)).map((p) => p.message).join('\n');
    assert.match(messages, /containers\/0\/readinesProbe is not a field of Deployment/);
    assert.match(messages, /containers\/1\/livenessProbe\/grpc\/port must be integer/);

    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const [problem] = await validateObject(unknown as unknown as K8sObject);
    assert.match(
      problem?.message ?? '',
      /no Kubernetes schema for apiVersion example.com\/v1, kind Widget/,
    );
  });
});
