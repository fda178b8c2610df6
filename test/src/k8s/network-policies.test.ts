import assert from 'node:assert/strict';
import {
  DESIGN_CALLS,
  JOBS,
  SERVERS,
  configShape,
  serviceOfAddressVariable,
} from './support/feedmesh-services.js';
import { allowsConnection, isIngressIsolated, podOf, type Pod } from './support/network-policy.js';
import { RENDERING_NAMES, rendering } from './support/renderings.js';
import { workloads, type Workload } from './support/workloads.js';

/** One of the site's internal services, in its own namespace: the gateway's callers. */
const SITE_CALLER: Pod = {
  labels: { 'app.kubernetes.io/name': 'site-api' },
  namespace: 'site',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'site' },
};

/** A pod of some other application in the same namespace. */
const NEIGHBOUR: Pod = {
  labels: { app: 'something-else' },
  namespace: 'feedmesh',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'feedmesh' },
};

/** What every Feedmesh process reaches: Redis, and the collector's OTLP receivers (not its health port). */
const SHARED_PORTS = [6379, 4317, 4318];

/** The ports a workload serves on (every container port). */
function portsOf(target: Workload): number[] {
  return target.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
}

function isFeedmeshProcess(target: Workload): boolean {
  return ['server', 'job'].includes(target.podLabels['app.kubernetes.io/component'] ?? '');
}

describe('k8s: NetworkPolicies allow exactly the calls the design has', () => {
  it('the design calls are the ones the services are configured to make (their *_ADDR variables)', async () => {
    const configured: string[] = [];
    for (const caller of [...SERVERS, ...JOBS]) {
      for (const variable of Object.keys(await configShape(caller))) {
        const callee = serviceOfAddressVariable(variable);
        if (callee !== undefined) configured.push(`${caller} -> ${callee}`);
      }
    }
    assert.deepEqual(configured.sort(), DESIGN_CALLS.map(([a, b]) => `${a} -> ${b}`).sort());
  });

  for (const name of RENDERING_NAMES) {
    it(`${name}: every pair of workloads may connect exactly when the design says so`, async () => {
      const r = await rendering(name);
      const all = workloads(r.objects);
      const design = new Set(DESIGN_CALLS.map(([a, b]) => `${a} -> ${b}`));
      const allowed: string[] = [];
      const expected: string[] = [];
      for (const target of all) {
        for (const port of portsOf(target)) {
          for (const source of all) {
            if (source === target) continue;
            const edge = `${source.name} -> ${target.name}:${port}`;
            if (allowsConnection(r.objects, podOf(source), target, port)) allowed.push(edge);
            const should =
              target.name === 'redis' || target.name === 'otel-collector'
                ? isFeedmeshProcess(source) && SHARED_PORTS.includes(port)
                : design.has(`${source.name} -> ${target.name}`);
            if (should) expected.push(edge);
          }
        }
      }
      assert.deepEqual(allowed.sort(), expected.sort());
    });

    it(`${name}: only the gateway accepts callers from outside Feedmesh, on its gRPC port`, async () => {
      const r = await rendering(name);
      for (const target of workloads(r.objects)) {
        for (const port of portsOf(target)) {
          const fromSite = allowsConnection(r.objects, SITE_CALLER, target, port);
          assert.equal(
            fromSite,
            target.name === 'feed-gateway' && port === 50051,
            `site -> ${target.name}:${port}`,
          );
          assert.equal(
            allowsConnection(r.objects, NEIGHBOUR, target, port),
            target.name === 'feed-gateway',
            `neighbour -> ${target.name}:${port}`,
          );
        }
      }
    });

    it(`${name}: every Feedmesh pod is isolated for ingress, the trainer's included`, async () => {
      const r = await rendering(name);
      for (const target of workloads(r.objects)) {
        assert.ok(
          isIngressIsolated(r.objects, target),
          `${target.name} is selected by an Ingress policy`,
        );
      }
      const trainer = workloads(r.objects).find((w) => w.name === 'trainer');
      assert.ok(trainer);
      for (const source of [...workloads(r.objects).map(podOf), SITE_CALLER, NEIGHBOUR]) {
        for (const port of [1, 8080, 50051, 50053]) {
          assert.equal(allowsConnection(r.objects, source, trainer, port), false);
        }
      }
    });
  }
});
