/**
 * What the manifests are checked against, read from the services themselves: each one's
 * conventional port (the GRPC_LISTEN default of its main.ts) and its config schema (the
 * `<name>ConfigShape` its package exports), and the calls ../shared/DESIGN.md allows.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { loadConfig } from '@feedmesh/service-kit';
import { REPO_ROOT } from './renderings.js';

/** A zod object shape, as `loadConfig` takes it. */
export type ConfigShape = Parameters<typeof loadConfig>[0];

/** The gRPC services, each a long-running workload with one port. */
export const SERVERS = [
  'feed-gateway',
  'candidate-generation',
  'feature-store',
  'ranker',
  'search',
  'notification',
] as const;
export type ServerName = (typeof SERVERS)[number];

/** The uid every container runs as, and the Dockerfile's USER. */
export const RUN_AS_USER = 65532;

/** Batch jobs: no port, each run by a CronJob. */
export const JOBS = ['trainer', 'trainer-embeddings', 'trainer-content-models'] as const;
export type JobName = (typeof JOBS)[number];

/** What a job runs: the image (a folder of services/) and the script, relative to its dist/. */
export const JOB_ENTRIES: Readonly<Record<JobName, { service: string; script: string }>> = {
  trainer: { service: 'trainer', script: 'main.js' },
  'trainer-embeddings': { service: 'trainer', script: 'embeddings-main.js' },
  'trainer-content-models': { service: 'trainer', script: 'content-models-main.js' },
};

/** What a workload runs: a job's entry, or a service's own image and main.js. */
export function entryOf(workload: string): { service: string; script: string } {
  const entries: Readonly<Record<string, { service: string; script: string }>> = JOB_ENTRIES;
  return entries[workload] ?? { service: workload, script: 'main.js' };
}

/**
 * Services whose replicas share all state through Redis, so an autoscaler may add and remove
 * them. candidate-generation left it: its indexes are in each replica's memory now.
 */
export const AUTOSCALED: readonly ServerName[] = ['feed-gateway', 'ranker', 'feature-store'];

/**
 * Services each of whose replicas holds a whole index in memory, built from the event log and
 * kept current through consumer groups named after the replica: StatefulSets, never autoscaled.
 */
export const IN_MEMORY_INDEXED: readonly ServerName[] = ['candidate-generation', 'search'];

/** The calls between Feedmesh workloads that the design has (caller, callee). */
export const DESIGN_CALLS: readonly (readonly [string, ServerName])[] = [
  ['feed-gateway', 'candidate-generation'],
  ['feed-gateway', 'feature-store'],
  ['feed-gateway', 'ranker'],
  ['feed-gateway', 'search'],
  ['feed-gateway', 'notification'],
  ['notification', 'candidate-generation'],
  ['notification', 'ranker'],
  ['notification', 'feature-store'],
  ['trainer', 'feature-store'],
];

/** The conventional port of a service: the GRPC_LISTEN its main.ts falls back to. */
export async function conventionalPort(service: ServerName): Promise<number> {
  const path = join(REPO_ROOT, 'services', service, 'src', 'main.ts');
  const source = await readFile(path, 'utf8');
  const match = /GRPC_LISTEN: '127\.0\.0\.1:(\d+)'/.exec(source);
  if (match?.[1] === undefined) throw new Error(`${path} sets no default GRPC_LISTEN port`);
  return Number(match[1]);
}

/** Config shapes that do not follow the `<name>ConfigShape` convention: [package, export]. */
const CONFIG_SHAPE_EXPORTS: Readonly<Record<string, readonly [string, string]>> = {
  'trainer-embeddings': ['@feedmesh/trainer', 'embeddingsJobConfigShape'],
  'trainer-content-models': ['@feedmesh/trainer', 'contentModelsJobConfigShape'],
};

/** The environment schema a service or job validates at start. */
export async function configShape(name: string): Promise<ConfigShape> {
  const [specifier, exportName] = CONFIG_SHAPE_EXPORTS[name] ?? [
    `@feedmesh/${name}`,
    `${name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}ConfigShape`,
  ];
  const module = (await import(specifier)) as Record<string, ConfigShape | undefined>;
  const shape = module[exportName];
  if (shape === undefined) throw new Error(`${specifier} exports no ${exportName}`);
  return shape;
}

/** `FEATURE_STORE_ADDR` → `feature-store`: the service an address variable points at. */
export function serviceOfAddressVariable(variable: string): string | undefined {
  const match = /^([A-Z_]+)_ADDR$/.exec(variable);
  return match?.[1]?.toLowerCase().replace(/_/g, '-');
}
