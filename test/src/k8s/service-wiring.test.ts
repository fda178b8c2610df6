import assert from 'node:assert/strict';
import { loadConfig } from '@feedmesh/service-kit';
import type { IService } from 'kubernetes-models/v1/Service';
import {
  JOBS,
  SERVERS,
  configShape,
  conventionalPort,
  serviceOfAddressVariable,
} from './support/feedmesh-services.js';
import type { K8sObject } from './support/kustomize.js';
import { RENDERING_NAMES, rendering } from './support/renderings.js';
import {
  containerPort,
  named,
  ofKind,
  resolveEnv,
  servicesOf,
  workload,
  workloads,
  type Workload,
} from './support/workloads.js';

/** Variables a Feedmesh process reads besides its config schema (logger, Node.js, OpenTelemetry). */
const PROCESS_VARIABLES = new Set(['LOG_LEVEL', 'NODE_OPTIONS']);
const OTEL_VARIABLES = new Set([
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
]);

/** The one container of a Feedmesh workload (`server` for services, `job` for the trainer's jobs). */
function mainContainer(target: Workload) {
  assert.equal(target.containers.length, 1, `${target.name} has one container`);
  return target.containers[0]!;
}

/** The Service named `host` with a port `port` named grpc, selecting the workload `expected`. */
function assertAddressReaches(
  objects: readonly K8sObject[],
  where: string,
  address: string,
  expected: string,
): void {
  const [host, port] = address.split(':');
  const service = named<IService>(objects, 'Service', host ?? '');
  assert.ok(service, `${where}: ${address} names no Service`);
  const servicePort = service.spec?.ports?.find((p) => p.port === Number(port));
  assert.ok(servicePort, `${where}: Service ${host} has no port ${port}`);
  const target = workload(objects, expected);
  assert.ok(
    servicesOf(objects, target).some((s) => s.metadata?.name === host),
    `${where}: Service ${host} does not select ${expected}'s pods`,
  );
  assert.equal(
    containerPort(mainContainer(target), servicePort.targetPort ?? servicePort.port),
    Number(port),
    `${where}: ${address} does not reach ${expected} on the port it listens on`,
  );
}

describe('k8s: ports, probes and configuration match each service', () => {
  for (const name of RENDERING_NAMES) {
    describe(name, () => {
      for (const service of SERVERS) {
        it(`${service}: listens, is probed and is served on its conventional port`, async () => {
          const { objects } = await rendering(name);
          const port = await conventionalPort(service);
          const target = workload(objects, service);
          const container = mainContainer(target);
          const env = resolveEnv(objects, target, container).values;

          assert.equal(env['GRPC_LISTEN'], `0.0.0.0:${port}`);
          assert.deepEqual(container.ports, [{ name: 'grpc', containerPort: port }]);
          for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
            assert.equal(container[probe]?.grpc?.port, port, `${probe} is a grpc probe on ${port}`);
            assert.equal(
              container[probe]?.grpc?.service,
              undefined,
              'the server-wide health status',
            );
          }
          if (container.startupProbe !== undefined)
            assert.equal(container.startupProbe.grpc?.port, port);

          const services = servicesOf(objects, target);
          assert.ok(
            services.some((s) => s.metadata?.name === service),
            `a Service named ${service}`,
          );
          for (const s of services) {
            assert.equal(s.spec?.ports?.length, 1, `${s.metadata?.name} has one port`);
            const servicePort = s.spec!.ports![0]!;
            assert.equal(servicePort.name, 'grpc');
            assert.equal(servicePort.port, port);
            assert.equal(
              containerPort(container, servicePort.targetPort ?? servicePort.port),
              port,
            );
          }
        });
      }

      for (const service of [...SERVERS, ...JOBS]) {
        it(`${service}: its environment passes its own config schema, and names nothing else`, async () => {
          const { objects } = await rendering(name);
          const target = workload(objects, service);
          const container = mainContainer(target);
          const { values } = resolveEnv(objects, target, container);
          const shape = await configShape(service);

          // Variables only there to be spelled into another one: $(OTEL_K8S_POD_NAME).
          const referenced = new Set(
            (container.env ?? []).flatMap((v) =>
              [...(v.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!),
            ),
          );
          const unknown = Object.keys(values).filter(
            (v) =>
              !(v in shape) &&
              !PROCESS_VARIABLES.has(v) &&
              !OTEL_VARIABLES.has(v) &&
              !referenced.has(v),
          );
          assert.deepEqual(unknown, [], `variables ${service} does not read`);
          assert.doesNotThrow(() => loadConfig(shape, values), `${service} would refuse to start`);
          // The pod name: stable per replica, unique in the consumer group. Every service has
          // one; a job that reads the log's history without a group may go without.
          const consumerName = container.env?.find((v) => v.name === 'CONSUMER_NAME');
          if ((SERVERS as readonly string[]).includes(service) || consumerName !== undefined)
            assert.equal(consumerName?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
        });
      }

      it('every server reads every setting of the shared feedmesh-runtime ConfigMap', async () => {
        const { objects } = await rendering(name);
        const shared = Object.keys(
          named<{ data?: Record<string, string> }>(objects, 'ConfigMap', 'feedmesh-runtime')
            ?.data ?? {},
        );
        assert.ok(shared.includes('GRPC_MAX_CONNECTION_AGE_MS'), shared.join(', '));
        for (const service of SERVERS) {
          const target = workload(objects, service);
          const { values } = resolveEnv(objects, target, mainContainer(target));
          const missing = shared.filter((key) => values[key] === undefined);
          assert.deepEqual(
            missing,
            [],
            `${service} does not get these settings of feedmesh-runtime`,
          );
        }
      });

      it('closes connections for their age to spread calls, but not every minute under Subscribe streams', async () => {
        const { objects } = await rendering(name);
        for (const service of SERVERS) {
          const target = workload(objects, service);
          const ageMs = Number(
            resolveEnv(objects, target, mainContainer(target)).values['GRPC_MAX_CONNECTION_AGE_MS'],
          );
          assert.ok(ageMs > 0, `${service}: connections are closed for their age`);
          // A connection closed for its age cuts its streams once the drain timeout is over.
          if (service === 'notification')
            assert.ok(
              ageMs >= 30 * 60_000,
              `notification: Subscribe streams cut every ${ageMs} ms`,
            );
        }
      });

      it('every *_ADDR points at the Service of the service it names, on its port', async () => {
        const { objects } = await rendering(name);
        let checked = 0;
        for (const target of workloads(objects)) {
          for (const container of target.containers) {
            const { values } = resolveEnv(objects, target, container);
            for (const [variable, address] of Object.entries(values)) {
              const callee = serviceOfAddressVariable(variable);
              if (callee === undefined) continue;
              assertAddressReaches(objects, `${target.name} ${variable}`, address, callee);
              checked++;
            }
          }
        }
        // gateway 5, notification 3, trainer 1
        assert.equal(checked, 9);
      });

      it('drains within the grace period: preStop, GRPC_DRAIN_TIMEOUT_MS and the last telemetry export end before SIGKILL', async () => {
        const { objects, tracing } = await rendering(name);
        for (const service of SERVERS) {
          const target = workload(objects, service);
          const container = mainContainer(target);
          const env = resolveEnv(objects, target, container).values;
          const drainMs = Number(env['GRPC_DRAIN_TIMEOUT_MS']);
          const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
          const graceMs = (target.podSpec.terminationGracePeriodSeconds ?? 30) * 1000;
          assert.ok(drainMs > 0, `${service}: GRPC_DRAIN_TIMEOUT_MS is set`);
          // The stalled-stream wait (2 s) and grace (1 s) count within the drain. After it the
          // consumers stop, and then telemetry is flushed: spans and metrics together, each
          // export given up after OTEL_EXPORTER_OTLP_TIMEOUT (10 s) when the collector is away.
          const exportMs = tracing ? Number(env['OTEL_EXPORTER_OTLP_TIMEOUT'] ?? 10_000) : 0;
          assert.ok(
            graceMs >= preStopMs + drainMs + 5_000 + exportMs,
            `${service}: ${graceMs} ms grace for ${preStopMs} ms preStop + ${drainMs} ms drain + 5 s to close + ${exportMs} ms to export`,
          );
        }
      });
    });
  }

  it('the gateway shares one cursor secret across replicas, from a Secret', async () => {
    for (const name of RENDERING_NAMES) {
      const { objects } = await rendering(name);
      const gateway = workload(objects, 'feed-gateway');
      const variable = mainContainer(gateway).env?.find((v) => v.name === 'CURSOR_SECRET');
      assert.equal(variable?.valueFrom?.secretKeyRef?.name, 'feedmesh-cursors', name);
      const search = workload(objects, 'search');
      const searchSecret = mainContainer(search).env?.find(
        (v) => v.name === 'SEARCH_CURSOR_SECRET',
      );
      assert.equal(searchSecret?.valueFrom?.secretKeyRef?.name, 'feedmesh-cursors', name);
    }
  });

  it('the OTLP endpoint reaches the collector over gRPC when the tracing component is on', async () => {
    for (const name of RENDERING_NAMES) {
      const r = await rendering(name);
      for (const target of workloads(r.objects)) {
        if (target.podLabels['app.kubernetes.io/part-of'] !== 'feedmesh') continue;
        if (!['server', 'job'].includes(target.podLabels['app.kubernetes.io/component'] ?? ''))
          continue;
        const { values } = resolveEnv(r.objects, target, mainContainer(target));
        if (!r.tracing) {
          assert.equal(values['OTEL_EXPORTER_OTLP_ENDPOINT'], undefined, `${name}: ${target.name}`);
          continue;
        }
        assert.equal(values['OTEL_EXPORTER_OTLP_PROTOCOL'], 'grpc');
        assert.equal(values['OTEL_SERVICE_NAME'], target.name);
        assert.match(
          values['OTEL_RESOURCE_ATTRIBUTES'] ?? '',
          new RegExp(`k8s\\.pod\\.name=${target.name}-`),
        );
        const endpoint = new URL(values['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '');
        assert.equal(endpoint.protocol, 'http:');
        const collector = workload(r.objects, 'otel-collector');
        const service = ofKind<IService>(r.objects, 'Service').find(
          (s) => s.metadata?.name === endpoint.hostname,
        );
        assert.ok(service, `${name}: ${endpoint.hostname} is a Service`);
        const port = service.spec?.ports?.find((p) => p.port === Number(endpoint.port));
        assert.equal(
          containerPort(collector.containers[0]!, port?.targetPort ?? -1),
          4317,
          `${name}: ${target.name} exports to the collector's OTLP/gRPC port`,
        );
      }
    }
  });
});
