/**
 * The renderings of k8s/ the tests check: the base, each overlay, and each overlay with the
 * tracing component, rendered once per test run.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build, renderKustomization, type K8sObject, type Kustomization } from './kustomize.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const K8S_ROOT = join(REPO_ROOT, 'k8s');

export type RenderingName =
  | 'base'
  | 'overlays/dev'
  | 'overlays/production'
  | 'overlays/dev + components/tracing'
  | 'overlays/production + components/tracing';

export interface Rendering {
  readonly name: RenderingName;
  /** What kustomize is given: a directory under k8s/, or a composition of them. */
  readonly kustomization: Kustomization;
  readonly objects: readonly K8sObject[];
  readonly overlay: 'base' | 'dev' | 'production';
  readonly tracing: boolean;
}

const COMPOSITIONS: readonly Omit<Rendering, 'objects'>[] = [
  { name: 'base', kustomization: { resources: ['base'] }, overlay: 'base', tracing: false },
  {
    name: 'overlays/dev',
    kustomization: { resources: ['overlays/dev'] },
    overlay: 'dev',
    tracing: false,
  },
  {
    name: 'overlays/production',
    kustomization: { resources: ['overlays/production'] },
    overlay: 'production',
    tracing: false,
  },
  {
    name: 'overlays/dev + components/tracing',
    kustomization: { resources: ['overlays/dev'], components: ['components/tracing'] },
    overlay: 'dev',
    tracing: true,
  },
  {
    name: 'overlays/production + components/tracing',
    kustomization: { resources: ['overlays/production'], components: ['components/tracing'] },
    overlay: 'production',
    tracing: true,
  },
];

export const RENDERING_NAMES: readonly RenderingName[] = COMPOSITIONS.map((c) => c.name);

let rendered: Promise<Rendering[]> | undefined;

/** Every rendering, built on first use. */
export function renderings(): Promise<Rendering[]> {
  rendered ??= Promise.all(
    COMPOSITIONS.map(async (composition) => ({
      ...composition,
      objects: await build(composition.kustomization, K8S_ROOT),
    })),
  );
  return rendered;
}

export async function rendering(name: RenderingName): Promise<Rendering> {
  const found = (await renderings()).find((r) => r.name === name);
  if (found === undefined) throw new Error(`no rendering ${name}`);
  return found;
}

export { renderKustomization };
