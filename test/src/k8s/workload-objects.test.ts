import assert from 'node:assert/strict';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { parseYaml } from './support/kustomize.js';
import { loadConfig } from '@feedmesh/service-kit';
import { CONSUMER_GROUP } from '@feedmesh/candidate-generation';
import {
  AUTOSCALED,
  IN_MEMORY_INDEXED,
  JOBS,
  SERVERS,
  configShape,
  type ServerName,
} from './support/feedmesh-services.js';
import { RENDERING_NAMES, rendering } from './support/renderings.js';
import {
  named,
  ofKind,
  podNameOf,
  quantity,
  resolveEnv,
  selects,
  workload,
  workloads,
  type LabelSelector,
} from './support/workloads.js';
import { parseExperimentsConfig } from '@feedmesh/experiments';
import { SERVICE_NODE_FLAGS } from '@feedmesh/playground';
import { readFile } from 'node:fs/promises';

/**
 * How long a replica may take to build its index before liveness applies, at least, s. Search
 * may replay the whole retained log. Candidate-generation's rebuild of the large world (7.6 M
 * events) took 136 s with the code of its first benchmark, but 291-372 s with today's sources
 * on a quiet machine and up to 868 s on a busy one (services/candidate-generation README and
 * BENCHMARKS.md): a startup probe shorter than that kills every start and never lets it serve.
 */
const STARTUP_BUDGET_S: Partial<Record<ServerName, number>> = {
  search: 600,
  'candidate-generation': 900,
};

/**
 * CPU a replica must be guaranteed for its start to take the time the startup probe allows:
 * candidate-generation's rebuild was measured with a whole core for its thread, so on a busy
 * node half a core (its request once) would double it past the probe.
 */
const STARTUP_CPU_REQUEST: Partial<Record<ServerName, number>> = {
  'candidate-generation': 1,
};

/** candidate-generation's RSS on the large world (1 M posts, 100 k users), bytes. */
const MEASURED_CANDIDATES_RSS = 3.5e9;

/** The `start` script of a service's package.json: how `npm start` runs it. */
async function startScriptOf(service: string): Promise<string> {
  const manifest = JSON.parse(
    await readFile(new URL(`../../../services/${service}/package.json`, import.meta.url), 'utf8'),
  ) as { scripts: { start: string } };
  return manifest.scripts.start;
}

/** redis-server's `--name value` arguments. */
function redisArgs(args: readonly string[] | undefined): Map<string, string> {
  const pairs = new Map<string, string>();
  for (let i = 0; i < (args ?? []).length; i++) {
    const arg = args![i]!;
    if (arg.startsWith('--') && i + 1 < args!.length) pairs.set(arg, args![i + 1]!);
  }
  return pairs;
}

/** A Redis memory setting in bytes: `768mb` is 768 × 2^20 (redis.conf's units), `1gb` 2^30. */
function redisBytes(value: string | undefined): number {
  const match = /^(\d+)(b|kb|mb|gb|k|m|g)?$/i.exec(value ?? '');
  if (match === null) return NaN;
  const factor: Record<string, number> = {
    b: 1,
    k: 1e3,
    kb: 2 ** 10,
    m: 1e6,
    mb: 2 ** 20,
    g: 1e9,
    gb: 2 ** 30,
  };
  return Number(match[1]) * factor[(match[2] ?? 'b').toLowerCase()]!;
}

interface CollectorConfig {
  extensions: { health_check: { endpoint: string } };
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  processors: Record<string, unknown>;
  exporters: Record<string, unknown>;
  service: {
    pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
  };
}

describe('k8s: the objects around each workload', () => {
  for (const name of RENDERING_NAMES) {
    describe(name, () => {
      it('autoscales exactly the services whose state is all in Redis, and leaves them the replica count', async () => {
        const { objects } = await rendering(name);
        const autoscalers = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
        assert.deepEqual(
          autoscalers.map((a) => a.spec?.scaleTargetRef.name).sort(),
          [...AUTOSCALED].sort(),
        );
        for (const autoscaler of autoscalers) {
          const ref = autoscaler.spec!.scaleTargetRef;
          assert.equal(ref.kind, 'Deployment');
          const target = workload(objects, ref.name);
          assert.equal(target.kind, 'Deployment');
          // A replicas field would be reapplied on every `kubectl apply`, fighting the autoscaler.
          assert.equal(
            (target.object['spec'] as { replicas?: number }).replicas,
            undefined,
            ref.name,
          );
          const { minReplicas = 1, maxReplicas } = autoscaler.spec!;
          assert.ok(minReplicas >= 1 && minReplicas <= maxReplicas, ref.name);
          assert.deepEqual(
            autoscaler.spec?.metrics?.map((m) => m.resource?.name),
            ['cpu'],
            `${ref.name} scales on CPU, which every container requests`,
          );
        }
      });

      it("every service has a PodDisruptionBudget selecting its pods and no one else's", async () => {
        const { objects } = await rendering(name);
        const budgets = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
        for (const service of SERVERS) {
          const mine = budgets.filter((b) =>
            selects(b.spec?.selector, workload(objects, service).podLabels),
          );
          assert.equal(mine.length, 1, `${service} has one PodDisruptionBudget`);
          const others = workloads(objects).filter(
            (w) => w.name !== service && selects(mine[0]!.spec?.selector, w.podLabels),
          );
          assert.deepEqual(
            others.map((w) => w.name),
            [],
          );
          // maxUnavailable, so that a single replica never blocks a node drain.
          assert.equal(mine[0]!.spec?.maxUnavailable, 1);
        }
      });

      it('a node drain never waits on a replica that is not ready: every budget lets unhealthy pods be evicted', async () => {
        const { objects } = await rendering(name);
        // With the default (IfHealthyBudget), two of three replicas stuck unready (a crash
        // loop, a rebuild) leave fewer healthy pods than the budget wants, and then not even
        // the unready ones may be evicted: the drain blocks until someone deletes them by hand.
        for (const budget of ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget')) {
          assert.equal(
            budget.spec?.unhealthyPodEvictionPolicy,
            'AlwaysAllow',
            `PodDisruptionBudget ${budget.metadata?.name}`,
          );
        }
      });

      it('spreads the replicas of every service over nodes, so one node lost is not a whole service lost', async () => {
        const { objects } = await rendering(name);
        for (const service of SERVERS) {
          const target = workload(objects, service);
          const byNode = (target.podSpec.topologySpreadConstraints ?? []).filter(
            (c) => c.topologyKey === 'kubernetes.io/hostname',
          );
          assert.equal(byNode.length, 1, `${service} spreads over kubernetes.io/hostname`);
          const constraint = byNode[0]!;
          assert.equal(constraint.maxSkew, 1, service);
          assert.ok(
            selects(constraint.labelSelector as LabelSelector, target.podLabels),
            `${service}: the constraint counts its own pods`,
          );
          const others = workloads(objects).filter(
            (w) =>
              w.name !== service && selects(constraint.labelSelector as LabelSelector, w.podLabels),
          );
          assert.deepEqual(
            others.map((w) => w.name),
            [],
            `${service}: and no one else's`,
          );
          if ((IN_MEMORY_INDEXED as readonly string[]).includes(service)) {
            // A replica co-located with another would take minutes to rebuild after the node
            // goes, together with it: better unscheduled (the others serve) than stacked.
            assert.equal(constraint.whenUnsatisfiable, 'DoNotSchedule', service);
            // Tainted nodes (a control plane) take none, so they must not count as empty domains.
            assert.equal(constraint.nodeTaintsPolicy, 'Honor', service);
          } else {
            // Stateless and autoscaled: a scale-up must never wait for a node to balance.
            assert.equal(constraint.whenUnsatisfiable, 'ScheduleAnyway', service);
          }
        }
      });

      for (const service of IN_MEMORY_INDEXED) {
        it(`${service} is a StatefulSet: stable replica names, a headless governing Service, a set replica count, a startup probe over its rebuild, no autoscaler`, async () => {
          const { objects } = await rendering(name);
          const target = workload(objects, service);
          assert.equal(target.kind, 'StatefulSet');
          const spec = (target.object as IStatefulSet).spec!;
          assert.equal(spec.podManagementPolicy, 'Parallel');
          assert.ok((spec.replicas ?? 0) >= 1, 'replicas set by hand');
          const governing = named<IService>(objects, 'Service', spec.serviceName ?? '');
          assert.equal(governing?.spec?.clusterIP, 'None', 'the governing Service is headless');
          assert.ok(selects({ matchLabels: governing.spec?.selector }, target.podLabels));
          const container = target.containers[0]!;
          assert.ok(
            container.startupProbe?.grpc,
            'a startupProbe covers the rebuild before it listens',
          );
          const budget =
            (container.startupProbe.periodSeconds ?? 10) *
            (container.startupProbe.failureThreshold ?? 3);
          const minimum = STARTUP_BUDGET_S[service];
          assert.ok(
            minimum !== undefined && budget >= minimum,
            `${budget} s to rebuild the index, at least ${minimum} s measured`,
          );
          const cpu = quantity(container.resources?.requests?.['cpu']);
          assert.ok(
            cpu >= (STARTUP_CPU_REQUEST[service] ?? 0),
            `${service} requests ${cpu} CPU, its rebuild was measured on ${STARTUP_CPU_REQUEST[service] ?? 0}`,
          );
          assert.equal(
            ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
              (a) => a.spec?.scaleTargetRef.name === service,
            ),
            undefined,
            'no autoscaler: a replica is ready only after its rebuild',
          );
        });
      }

      it('search keeps its index snapshot on a persistent volume per replica', async () => {
        const { objects } = await rendering(name);
        const search = workload(objects, 'search');
        const spec = (search.object as IStatefulSet).spec!;
        const container = search.containers[0]!;
        const dir = resolveEnv(objects, search, container).values['SEARCH_SNAPSHOT_DIR'];
        const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
        assert.ok(mount, `SEARCH_SNAPSHOT_DIR ${dir} is a mounted volume`);
        assert.ok(
          spec.volumeClaimTemplates?.some((t) => t.metadata?.name === mount.name),
          'one persistent volume per replica',
        );
      });

      it('every candidate-generation replica follows the log with a consumer group of its own, named after the replica', async () => {
        const { objects } = await rendering(name);
        const target = workload(objects, 'candidate-generation');
        const shape = await configShape('candidate-generation');
        const replicas = (target.object['spec'] as { replicas?: number }).replicas ?? 1;
        // Three at least: a group per replica must hold however far the count is raised.
        const groups = Array.from({ length: Math.max(replicas, 3) }, (_, replica) => {
          const podName = podNameOf(target, replica);
          const { values } = resolveEnv(objects, target, target.containers[0]!, podName);
          const config = loadConfig(shape, values) as { CANDIDATES_CONSUMER_GROUP: string };
          return config.CANDIDATES_CONSUMER_GROUP;
        });
        assert.equal(new Set(groups).size, groups.length, `one group each: ${groups.join(', ')}`);
        assert.ok(
          !groups.includes(CONSUMER_GROUP),
          `no replica reads with the shared default group ${CONSUMER_GROUP}`,
        );
        // Named after the pod, whose name a StatefulSet keeps: a restart resumes its own group.
        assert.equal(groups[0], `candidate-generation:${podNameOf(target, 0)}`);
      });

      it('runs each service with the young generation the playground and benchmarks give it (SERVICE_NODE_FLAGS)', async () => {
        const { objects } = await rendering(name);
        for (const server of SERVERS) {
          const container = workload(objects, server).containers[0]!;
          const options = container.env?.find((v) => v.name === 'NODE_OPTIONS')?.value ?? '';
          const semiSpace = (flags: string) => /--max-semi-space-size=(\d+)/.exec(flags)?.[1];
          const expected = semiSpace(SERVICE_NODE_FLAGS[server].join(' '));
          assert.equal(semiSpace(options), expected, `${server}: NODE_OPTIONS ${options}`);
          assert.equal(semiSpace(await startScriptOf(server)), expected, `${server}: npm start`);
        }
      });

      it('candidate-generation has the memory its in-memory indexes take, and semi-spaces sized for the hot path', async () => {
        const { objects } = await rendering(name);
        const container = workload(objects, 'candidate-generation').containers[0]!;
        const request = quantity(container.resources?.requests?.['memory']);
        const limit = quantity(container.resources?.limits?.['memory']);
        assert.ok(
          request >= MEASURED_CANDIDATES_RSS,
          `requests ${request} bytes, the large world measured ${MEASURED_CANDIDATES_RSS}`,
        );
        assert.ok(limit >= 1.25 * MEASURED_CANDIDATES_RSS, 'a quarter above the measured RSS');
        const options = container.env?.find((v) => v.name === 'NODE_OPTIONS')?.value ?? '';
        assert.match(options, /--max-semi-space-size=256\b/);
        assert.match(options, /--max-old-space-size=\d+/);
      });

      it('candidate-generation runs without allocation-site pretenuring, as the playground and npm start do', async () => {
        const { objects } = await rendering(name);
        const container = workload(objects, 'candidate-generation').containers[0]!;
        // An argument before the script: Node refuses the flag in NODE_OPTIONS.
        assert.deepEqual(container.args, ['--no-allocation-site-pretenuring', 'dist/main.js']);
        assert.ok(
          SERVICE_NODE_FLAGS['candidate-generation'].includes('--no-allocation-site-pretenuring'),
        );
        assert.match(
          await startScriptOf('candidate-generation'),
          /--no-allocation-site-pretenuring .*dist\/main\.js$/,
        );
      });

      for (const job of JOBS) {
        it(`runs ${job} as a CronJob that never overlaps itself`, async () => {
          const { objects } = await rendering(name);
          const cronJob = named<ICronJob>(objects, 'CronJob', job);
          assert.ok(cronJob);
          assert.equal(cronJob.spec?.concurrencyPolicy, 'Forbid');
          const jobSpec = cronJob.spec?.jobTemplate.spec;
          assert.ok((jobSpec?.activeDeadlineSeconds ?? 0) > 0, 'a run that hangs is ended');
          assert.ok(
            (jobSpec?.activeDeadlineSeconds ?? 0) < 24 * 3600,
            'a run ends before the next day starts',
          );
          // Without a deadline, a controller that missed 100 schedules stops scheduling for good.
          assert.ok((cronJob.spec?.startingDeadlineSeconds ?? 0) > 0, 'a missed run is bounded');
          const backoff = jobSpec?.backoffLimit;
          assert.ok(
            backoff !== undefined && backoff <= 3,
            `a failing run retries ${backoff} times`,
          );
          const pod = jobSpec?.template.spec;
          assert.equal(pod?.restartPolicy, 'Never');
          assert.match(pod?.containers[0]?.image ?? '', /^feedmesh\/trainer:/);
        });
      }

      it("the trainer's jobs run at different times, the ranking trainer calling the feature store", async () => {
        const { objects } = await rendering(name);
        const schedules = JOBS.map(
          (job) => named<ICronJob>(objects, 'CronJob', job)?.spec?.schedule,
        );
        assert.equal(new Set(schedules).size, JOBS.length, schedules.join(' / '));
        const trainer = workload(objects, 'trainer');
        const env = resolveEnv(objects, trainer, trainer.containers[0]!).values;
        assert.equal(env['FEATURE_STORE_ADDR'], 'feature-store:50053');
      });

      it('mounts the experiment config at /etc/feedmesh/experiments.yaml in the gateway', async () => {
        const { objects } = await rendering(name);
        const config = named<IConfigMap>(objects, 'ConfigMap', 'feedmesh-experiments');
        const text = config?.data?.['experiments.yaml'];
        assert.ok(text !== undefined, 'the ConfigMap holds experiments.yaml');
        assert.deepEqual(
          parseYaml(text, 'experiments.yaml'),
          [{ layers: [] }],
          'no experiments yet',
        );

        const gateway = workload(objects, 'feed-gateway');
        const mount = gateway.containers[0]!.volumeMounts?.find(
          (m) => m.mountPath === '/etc/feedmesh',
        );
        assert.ok(
          mount && mount.readOnly === true && mount.subPath === undefined,
          'the directory, read-only',
        );
        const volume = gateway.podSpec.volumes?.find((v) => v.name === mount.name);
        assert.equal(volume?.configMap?.name, 'feedmesh-experiments');
        assert.equal(volume?.configMap?.items, undefined, 'every key, under its own name');

        const env = resolveEnv(objects, gateway, gateway.containers[0]!).values;
        assert.equal(
          env['EXPERIMENTS_FILE'],
          '/etc/feedmesh/experiments.yaml',
          'the gateway reads it',
        );
        // What the gateway would load at start: a config it refuses would stop every pod.
        assert.doesNotThrow(() => parseExperimentsConfig(text, 'experiments.yaml'));
      });
    });
  }

  it('dev runs Redis in the cluster; production has none and talks to a Redis Cluster', async () => {
    const dev = await rendering('overlays/dev');
    const redis = workload(dev.objects, 'redis');
    assert.equal(redis.kind, 'StatefulSet');
    assert.ok(named<IService>(dev.objects, 'Service', 'redis'));
    const args = redis.containers[0]!.args ?? [];
    assert.equal(
      args[args.indexOf('--appendonly') + 1],
      'yes',
      'acknowledged events survive a restart',
    );
    assert.equal(
      args[args.indexOf('--maxmemory-policy') + 1],
      'noeviction',
      'streams are never evicted',
    );
    const gatewayDev = workload(dev.objects, 'feed-gateway');
    const devEnv = resolveEnv(dev.objects, gatewayDev, gatewayDev.containers[0]!);
    assert.equal(devEnv.values['REDIS_URL'], 'redis://redis:6379');
    assert.equal(devEnv.values['REDIS_CLUSTER'], 'false');
    assert.deepEqual(devEnv.operatorSecrets, [], 'dev needs no Secret made by hand');

    for (const name of [
      'overlays/production',
      'overlays/production + components/tracing',
    ] as const) {
      const production = await rendering(name);
      assert.equal(
        workloads(production.objects).find((w) => w.name === 'redis'),
        undefined,
        name,
      );
      assert.equal(
        named(production.objects, 'Secret', 'feedmesh-redis'),
        undefined,
        'the operator creates it',
      );
      const gateway = workload(production.objects, 'feed-gateway');
      const env = resolveEnv(production.objects, gateway, gateway.containers[0]!);
      assert.equal(env.values['REDIS_CLUSTER'], 'true', name);
      assert.deepEqual([...new Set(env.operatorSecrets)].sort(), [
        'feedmesh-cursors',
        'feedmesh-gateway-auth',
        'feedmesh-redis',
      ]);
      assert.ok(env.values['GATEWAY_AUTH_TOKENS'], 'production gateways ask callers for a token');
    }
  });

  it('the development Redis writes every acknowledged event to its append-only file on its volume before it answers', async () => {
    const { objects } = await rendering('overlays/dev');
    const redis = workload(objects, 'redis');
    const container = redis.containers[0]!;
    const args = redisArgs(container.args);
    assert.equal(args.get('--appendonly'), 'yes');
    // everysec answers before the fsync: a node that goes down takes up to two seconds of
    // writes Redis had acknowledged (PublishEvents said OK) with it. always fsyncs first,
    // once per event-loop turn for every write of that turn.
    assert.equal(args.get('--appendfsync'), 'always', 'nothing acknowledged is lost');
    const dir = args.get('--dir');
    const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
    assert.ok(mount, `--dir ${dir} is a mounted volume`);
    const spec = (redis.object as IStatefulSet).spec!;
    assert.ok(
      spec.volumeClaimTemplates?.some((t) => t.metadata?.name === mount.name),
      'a persistent volume, not the pod',
    );
  });

  it("the development Redis has room to rewrite its append-only file: the fork's copy in memory, the old and new files on disk", async () => {
    const { objects } = await rendering('overlays/dev');
    const redis = workload(objects, 'redis');
    const container = redis.containers[0]!;
    const maxmemory = redisBytes(redisArgs(container.args).get('--maxmemory'));
    assert.ok(maxmemory > 0, 'maxmemory is set: a full Redis refuses writes instead of growing');
    // The rewrite forks: every page the parent writes meanwhile is copied, and the child's
    // copies count against the container's limit too. Client and AOF buffers are outside
    // maxmemory as well. Past the limit the kernel kills Redis (and the rewrite) mid-way.
    const limit = quantity(container.resources?.limits?.['memory']);
    assert.ok(
      limit >= 2 * maxmemory,
      `a memory limit of ${limit} bytes holds maxmemory (${maxmemory}) twice over`,
    );
    // A pod using more than it requests is the first evicted when its node runs short.
    const request = quantity(container.resources?.requests?.['memory']);
    assert.ok(request >= maxmemory, `requests ${request} bytes, at least maxmemory`);
    // A rewrite starts when the file has grown to twice its base (auto-aof-rewrite-percentage
    // 100) and writes a new base beside it: three datasets on disk at the peak. With
    // appendfsync always a failed write makes Redis exit, so a full disk is a crash loop.
    const spec = (redis.object as IStatefulSet).spec!;
    const mount = container.volumeMounts?.find(
      (m) => m.mountPath === redisArgs(container.args).get('--dir'),
    );
    const claim = spec.volumeClaimTemplates?.find((t) => t.metadata?.name === mount?.name);
    const storage = quantity(claim?.spec?.resources?.requests?.['storage']);
    assert.ok(
      storage >= 3 * maxmemory,
      `a volume of ${storage} bytes holds three datasets of up to ${maxmemory}`,
    );
  });

  it('the tracing component runs a collector whose receivers listen where the Service and probes point', async () => {
    const { objects } = await rendering('overlays/dev + components/tracing');
    const collector = workload(objects, 'otel-collector');
    const container = collector.containers[0]!;
    const mount = container.volumeMounts?.find((m) => m.name === 'config');
    const configArg = container.args?.find((a) => a.startsWith('--config='));
    assert.equal(configArg, `--config=${mount?.mountPath}/config.yaml`);
    const text =
      named<IConfigMap>(objects, 'ConfigMap', 'otel-collector')?.data?.['config.yaml'] ?? '';
    const [config] = parseYaml(text, 'otel-collector config.yaml') as unknown as [CollectorConfig];
    const portOf = (endpoint: string | undefined) => Number(endpoint?.split(':')[1]);
    const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    assert.equal(portOf(config.receivers.otlp.protocols.grpc.endpoint), ports['otlp-grpc']);
    assert.equal(portOf(config.receivers.otlp.protocols.http.endpoint), ports['otlp-http']);
    assert.equal(portOf(config.extensions.health_check.endpoint), ports['health']);
    assert.equal(container.readinessProbe?.httpGet?.port, 'health');
    for (const [signal, pipeline] of Object.entries(config.service.pipelines)) {
      for (const receiver of pipeline.receivers)
        assert.ok(receiver in config.receivers, `${signal}: ${receiver}`);
      for (const processor of pipeline.processors)
        assert.ok(processor in config.processors, `${signal}: ${processor}`);
      for (const exporter of pipeline.exporters)
        assert.ok(exporter in config.exporters, `${signal}: ${exporter}`);
    }
    assert.deepEqual(Object.keys(config.service.pipelines).sort(), ['metrics', 'traces']);
  });

  it('production runs more replicas of every service than dev', async () => {
    const minimum = async (name: 'overlays/dev' | 'overlays/production', service: string) => {
      const { objects } = await rendering(name);
      const autoscaler = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
        (a) => a.spec?.scaleTargetRef.name === service,
      );
      if (autoscaler !== undefined) return autoscaler.spec?.minReplicas ?? 1;
      return (workload(objects, service).object['spec'] as { replicas?: number }).replicas ?? 1;
    };
    for (const service of SERVERS) {
      const dev = await minimum('overlays/dev', service);
      const production = await minimum('overlays/production', service);
      assert.ok(
        production > dev && production >= 2,
        `${service}: ${production} in production, ${dev} in dev`,
      );
    }
  });
});
