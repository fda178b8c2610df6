/**
 * Decides whether NetworkPolicies let one pod open a connection to another, by the rules of
 * the networking.k8s.io/v1 API: a pod selected by any Ingress policy accepts only what one of
 * those policies' rules admits; a pod no policy selects accepts everything. Egress is the
 * mirror image: a pod selected by any Egress policy opens only what one of those admits. Peers
 * are pods; ipBlock rules admit no pod here, and an ipBlock in an egress rule is refused (the
 * manifests use none, and an address outside the cluster is modelled only as "outside").
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { K8sObject } from './kustomize.js';
import { containerPort, ofKind, selects, type Workload } from './workloads.js';

/** A pod as a peer: its labels and its namespace's labels. */
export interface Pod {
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
}

/** The namespace the manifests are applied to. */
export const HOME_NAMESPACE = 'feedmesh';

export function podOf(workload: Workload): Pod {
  return {
    labels: workload.podLabels,
    namespace: HOME_NAMESPACE,
    namespaceLabels: { 'kubernetes.io/metadata.name': HOME_NAMESPACE },
  };
}

/** Whether `source` may connect to `target` on TCP `port` (a number): its egress and the target's ingress. */
export function allowsConnection(
  objects: readonly K8sObject[],
  source: Pod,
  target: Workload,
  port: number,
): boolean {
  return (
    allowsEgress(objects, source, { pod: podOf(target), workload: target }, port) &&
    allowsIngress(objects, source, target, port)
  );
}

/** Where a connection goes: a pod (of a workload of the rendering, or not), or outside the cluster. */
export type Destination = { readonly pod: Pod; readonly workload?: Workload } | 'outside';

/** Whether the policies let `source` open a connection to `destination` on `port`. */
export function allowsEgress(
  objects: readonly K8sObject[],
  source: Pod,
  destination: Destination,
  port: number,
  protocol: 'TCP' | 'UDP' = 'TCP',
): boolean {
  // Policies select pods of their own namespace: the manifests' only.
  if (source.namespace !== HOME_NAMESPACE) return true;
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy').filter(
    (policy) =>
      (policy.spec?.policyTypes ?? []).includes('Egress') &&
      selects(policy.spec?.podSelector, source.labels),
  );
  if (policies.length === 0) return true;
  return policies.some((policy) =>
    (policy.spec?.egress ?? []).some(
      (rule) =>
        (rule.to === undefined ||
          rule.to.length === 0 ||
          rule.to.some((peer) => {
            if (peer.ipBlock !== undefined) {
              throw new Error(`${policy.metadata?.name}: ipBlock egress is not modelled`);
            }
            return destination !== 'outside' && peerMatches(peer, destination.pod);
          })) &&
        (rule.ports === undefined ||
          rule.ports.length === 0 ||
          rule.ports.some((p) => {
            if ((p.protocol ?? 'TCP') !== protocol) return false;
            if (p.port === undefined) return true;
            const first =
              typeof p.port === 'number'
                ? p.port
                : destination !== 'outside' && destination.workload !== undefined
                  ? numericPort(destination.workload, p.port)
                  : undefined;
            return first !== undefined && port >= first && port <= (p.endPort ?? first);
          })),
    ),
  );
}

/** Whether the target's Ingress policies admit `source` on TCP `port`. */
function allowsIngress(
  objects: readonly K8sObject[],
  source: Pod,
  target: Workload,
  port: number,
): boolean {
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy').filter((policy) =>
    appliesToIngress(policy, target),
  );
  if (policies.length === 0) return true;
  return policies.some((policy) =>
    (policy.spec?.ingress ?? []).some(
      (rule) =>
        (rule.from === undefined ||
          rule.from.length === 0 ||
          rule.from.some((peer) => peerMatches(peer, source))) &&
        (rule.ports === undefined ||
          rule.ports.length === 0 ||
          rule.ports.some((p) => {
            if ((p.protocol ?? 'TCP') !== 'TCP') return false;
            if (p.port === undefined) return true;
            const first = numericPort(target, p.port);
            return first !== undefined && port >= first && port <= (p.endPort ?? first);
          })),
    ),
  );
}

/** Whether some Ingress policy selects the workload's pods (so it is not open to everyone). */
export function isIngressIsolated(objects: readonly K8sObject[], target: Workload): boolean {
  return ofKind<INetworkPolicy>(objects, 'NetworkPolicy').some((p) => appliesToIngress(p, target));
}

function appliesToIngress(policy: INetworkPolicy, target: Workload): boolean {
  const types = policy.spec?.policyTypes ?? ['Ingress'];
  return types.includes('Ingress') && selects(policy.spec?.podSelector, target.podLabels);
}

function peerMatches(peer: INetworkPolicyPeer, source: Pod): boolean {
  if (peer.ipBlock !== undefined) return false;
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? source.namespace === HOME_NAMESPACE
      : selects(peer.namespaceSelector, source.namespaceLabels);
  const podOk = peer.podSelector === undefined || selects(peer.podSelector, source.labels);
  return namespaceOk && podOk;
}

function numericPort(target: Workload, port: number | string): number | undefined {
  for (const container of target.containers) {
    const found = containerPort(container, port);
    if (found !== undefined) return found;
  }
  return undefined;
}
