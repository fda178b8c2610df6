/**
 * Typed views of rendered objects: workloads with their pod spec and containers, the Services
 * that select them, and a container's environment resolved the way the kubelet resolves it.
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { podSpecPath, type K8sObject } from './kustomize.js';

/** A label selector (metav1.LabelSelector). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

export interface Workload {
  readonly object: K8sObject;
  readonly kind: string;
  readonly name: string;
  readonly podSpec: IPodSpec;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly containers: readonly IContainer[];
}

export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects.flatMap((object) => {
    const path = podSpecPath(object.kind);
    if (path === undefined) return [];
    let node: unknown = object;
    for (const key of path) node = (node as Record<string, unknown>)[key];
    const template = path
      .slice(0, -1)
      .reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], object) as {
      metadata?: { labels?: Record<string, string> };
    };
    const podSpec = node as IPodSpec;
    return [
      {
        object,
        kind: object.kind,
        name: object.metadata.name,
        podSpec,
        podLabels: template.metadata?.labels ?? {},
        containers: podSpec.containers,
      },
    ];
  });
}

export function workload(objects: readonly K8sObject[], name: string): Workload {
  const found = workloads(objects).filter((w) => w.name === name);
  if (found.length !== 1) throw new Error(`expected one workload ${name}, found ${found.length}`);
  return found[0]!;
}

export function ofKind<T>(objects: readonly K8sObject[], kind: string): (T & K8sObject)[] {
  return objects.filter((o) => o.kind === kind) as (T & K8sObject)[];
}

export function named<T>(objects: readonly K8sObject[], kind: string, name: string): T | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
}

/** Label selector semantics (matchLabels and matchExpressions); an empty selector selects all. */
export function selects(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const value = labels[key];
    const ok =
      operator === 'In'
        ? value !== undefined && values.includes(value)
        : operator === 'NotIn'
          ? value === undefined || !values.includes(value)
          : operator === 'Exists'
            ? value !== undefined
            : operator === 'DoesNotExist'
              ? value === undefined
              : false;
    if (!ok) return false;
  }
  return true;
}

/** The Services whose selector picks the workload's pods. */
export function servicesOf(
  objects: readonly K8sObject[],
  target: Workload,
): (IService & K8sObject)[] {
  return ofKind<IService>(objects, 'Service').filter((service) => {
    const selector = service.spec?.selector;
    return selector !== undefined && selects({ matchLabels: selector }, target.podLabels);
  });
}

/** A port of a container by name (a Service's named targetPort, a probe's named port). */
export function containerPort(container: IContainer, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Secrets the operator creates in production (k8s/README.md), with a value each may hold. */
export const OPERATOR_SECRETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'feedmesh-redis': { url: 'rediss://feedmesh:secret@redis-cluster-0.redis.svc:6379' },
  'feedmesh-gateway-auth': {
    tokens: 'a-token-for-the-site-api-0001,a-token-for-the-batch-jobs-0002',
  },
  'feedmesh-cursors': {
    'feed-gateway': 'an-operator-chosen-random-string-of-32-chars',
    search: 'another-operator-chosen-random-string-of-32',
  },
};

export interface ResolvedEnv {
  readonly values: Readonly<Record<string, string>>;
  /** Secrets read that the rendering does not contain (the operator's to create). */
  readonly operatorSecrets: readonly string[];
}

/** A name the workload's pods may have: `search-0`, or a Deployment's `ranker-5d8f9c7b6-x2k4q`. */
export function podNameOf(target: Workload, replica = 0): string {
  return target.kind === 'StatefulSet'
    ? `${target.name}-${replica}`
    : `${target.name}-5d8f9c7b6-${['x2k4q', 'h7rtn', 'p9wzc', 'b4mxs'][replica % 4]}`;
}

/**
 * The container's environment as the pod would see it: literal values with `$(VAR)` expanded
 * from earlier variables, the downward API, and ConfigMap and Secret keys from the rendering.
 * A key that does not exist is an error, as it is for the kubelet (the pod would not start).
 * `podName` is what `metadata.name` reads (default: the first replica's).
 */
export function resolveEnv(
  objects: readonly K8sObject[],
  target: Workload,
  container: IContainer,
  podName = podNameOf(target),
): ResolvedEnv {
  const values: Record<string, string> = {};
  const operatorSecrets: string[] = [];
  for (const variable of container.env ?? []) {
    values[variable.name] = resolveOne(variable);
  }
  return { values, operatorSecrets };

  function resolveOne(variable: IEnvVar): string {
    if (variable.value !== undefined) {
      return variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => {
        const earlier = values[name];
        if (earlier === undefined) {
          throw new Error(
            `${target.name}: ${variable.name} refers to $(${name}), not defined before it`,
          );
        }
        return earlier;
      });
    }
    const from = variable.valueFrom;
    const field = from?.fieldRef?.fieldPath;
    if (field !== undefined) {
      if (field === 'metadata.name') return podName;
      if (field === 'metadata.namespace') return 'feedmesh';
      const label = /^metadata\.labels\['(.+)'\]$/.exec(field)?.[1];
      if (label !== undefined && target.podLabels[label] !== undefined)
        return target.podLabels[label];
      throw new Error(
        `${target.name}: ${variable.name} reads ${field}, which the pod does not have`,
      );
    }
    const configMapKey = from?.configMapKeyRef;
    if (configMapKey !== undefined) {
      const map = named<IConfigMap>(objects, 'ConfigMap', configMapKey.name ?? '');
      const value = map?.data?.[configMapKey.key];
      if (value === undefined) {
        throw new Error(
          `${target.name}: ${variable.name} reads ConfigMap ${configMapKey.name} key ${configMapKey.key}, which the rendering lacks`,
        );
      }
      return value;
    }
    const secretKey = from?.secretKeyRef;
    if (secretKey !== undefined) {
      const secretName = secretKey.name ?? '';
      const secret = named<ISecret>(objects, 'Secret', secretName);
      if (secret === undefined) {
        const value = OPERATOR_SECRETS[secretName]?.[secretKey.key];
        if (value === undefined) {
          throw new Error(
            `${target.name}: ${variable.name} reads Secret ${secretName} key ${secretKey.key}: neither rendered nor documented for operators`,
          );
        }
        operatorSecrets.push(secretName);
        return value;
      }
      const text = secret.stringData?.[secretKey.key];
      const encoded = secret.data?.[secretKey.key];
      if (text !== undefined) return text;
      if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
      throw new Error(
        `${target.name}: ${variable.name} reads Secret ${secretName} key ${secretKey.key}, which it lacks`,
      );
    }
    throw new Error(`${target.name}: ${variable.name} has no value this test knows how to resolve`);
  }
}

/** Kubernetes quantities as numbers: cores for CPU ("250m" → 0.25), bytes for memory. */
export function quantity(value: string | number | undefined): number {
  if (value === undefined) return NaN;
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
  if (match === null) return NaN;
  const factor: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : factor[match[2]]!);
}
