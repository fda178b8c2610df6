import assert from 'node:assert/strict';
import {
  DESIGN_CALLS,
  JOBS,
  SERVERS,
  configShape,
  serviceOfAddressVariable,
} from './support/feedmesh-services.js';
import {
  allowsConnection,
  allowsEgress,
  isIngressIsolated,
  podOf,
  type Pod,
} from './support/network-policy.js';
import { RENDERING_NAMES, rendering } from './support/renderings.js';
import { workload, workloads, type Workload } from './support/workloads.js';

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

/**
 * Workloads whose egress is restricted, and the ports they may still open: the embeddings job
 * talks to Redis only, resolving its name (53), and exports OTLP over gRPC when tracing is on.
 */
const EGRESS_ALLOWED: Readonly<Record<string, readonly number[]>> = {
  'trainer-embeddings': [6379, 53, 4317],
  'trainer-content-models': [6379, 53, 4317],
};

/** The cluster's DNS server, in its own namespace. */
const CLUSTER_DNS: Pod = {
  labels: { 'k8s-app': 'kube-dns' },
  namespace: 'kube-system',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
};

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
              (target.name === 'redis' || target.name === 'otel-collector'
                ? isFeedmeshProcess(source) && SHARED_PORTS.includes(port)
                : design.has(`${source.name} -> ${target.name}`)) &&
              (EGRESS_ALLOWED[source.name]?.includes(port) ?? true);
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

    for (const jobName of ['trainer-embeddings', 'trainer-content-models'] as const) {
      it(`${name}: ${jobName} may open connections to Redis and DNS only, and to the collector when tracing is on`, async () => {
        const r = await rendering(name);
        const all = workloads(r.objects);
        const job = podOf(workload(r.objects, jobName));
        // Production's Redis Cluster is outside the cluster: reachable on the Redis port only.
        assert.equal(allowsEgress(r.objects, job, 'outside', 6379), true, 'an external Redis');
        for (const port of [80, 443, 6380, 50053])
          assert.equal(allowsEgress(r.objects, job, 'outside', port), false, `outside:${port}`);
        for (const protocol of ['UDP', 'TCP'] as const)
          assert.equal(allowsEgress(r.objects, job, { pod: CLUSTER_DNS }, 53, protocol), true);
        const reached: string[] = [];
        for (const target of all) {
          for (const port of portsOf(target)) {
            if (allowsConnection(r.objects, job, target, port))
              reached.push(`${target.name}:${port}`);
          }
        }
        const expected = [
          ...(all.some((w) => w.name === 'redis') ? ['redis:6379'] : []),
          ...(r.tracing ? ['otel-collector:4317'] : []),
        ];
        assert.deepEqual(reached.sort(), expected.sort());

        // The restriction is the job's own: the ranking trainer still calls the feature store.
        const trainer = podOf(workload(r.objects, 'trainer'));
        assert.equal(
          allowsConnection(r.objects, trainer, workload(r.objects, 'feature-store'), 50053),
          true,
        );
        assert.equal(allowsEgress(r.objects, trainer, 'outside', 443), true);
      });
    }

    it(`${name}: every Feedmesh pod is isolated for ingress, the trainer's jobs included`, async () => {
      const r = await rendering(name);
      for (const target of workloads(r.objects)) {
        assert.ok(
          isIngressIsolated(r.objects, target),
          `${target.name} is selected by an Ingress policy`,
        );
      }
      for (const job of JOBS) {
        const target = workload(r.objects, job);
        for (const source of [...workloads(r.objects).map(podOf), SITE_CALLER, NEIGHBOUR]) {
          for (const port of [1, 8080, 50051, 50053]) {
            assert.equal(allowsConnection(r.objects, source, target, port), false, job);
          }
        }
      }
    });
  }
});
