/**
 * Renders a kustomization the way `kubectl apply -k` would, for the features the manifests in
 * k8s/ use: `resources` (files and directories), `components`, `patches` (strategic merge,
 * by name or by target), `images` and `replicas`. Anything else in a kustomization is refused,
 * so the manifests cannot drift into a feature the tests would silently ignore.
 *
 * Kustomize itself is a Go program with no npm build; kubectl bundles it. Where kubectl is
 * installed, kustomize-renderer.test.ts checks that both render the same objects.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject, strategicMerge, type Json, type JsonObject } from './strategic-merge.js';

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
}

interface PatchTarget {
  readonly kind?: string;
  readonly name?: string;
  readonly group?: string;
  readonly version?: string;
  readonly labelSelector?: string;
}

interface Patch {
  readonly path?: string;
  readonly patch?: string;
  readonly target?: PatchTarget;
}

export interface Kustomization {
  readonly kind?: 'Kustomization' | 'Component';
  readonly resources?: readonly string[];
  readonly components?: readonly string[];
  readonly patches?: readonly Patch[];
  readonly images?: readonly {
    name: string;
    newName?: string;
    newTag?: string;
    digest?: string;
  }[];
  readonly replicas?: readonly { name: string; count: number }[];
}

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'patches',
  'images',
  'replicas',
]);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Renders the kustomization in `dir`. */
export async function renderKustomization(dir: string): Promise<K8sObject[]> {
  return build(await readKustomization(dir), dir);
}

/** Renders a kustomization given as an object, its paths relative to `dir`. */
export async function build(kustomization: Kustomization, dir: string): Promise<K8sObject[]> {
  const objects: K8sObject[] = [];
  for (const entry of kustomization.resources ?? []) {
    const path = resolve(dir, entry);
    const found = (await stat(path)).isDirectory()
      ? await renderKustomization(path)
      : await readObjects(path);
    objects.push(...found);
  }
  assertUnique(objects, dir);
  let result = objects;
  for (const entry of kustomization.components ?? []) {
    const path = resolve(dir, entry);
    const component = await readKustomization(path);
    if (component.kind !== 'Component') throw new Error(`${path} is not a kind: Component`);
    if (component.components !== undefined) throw new Error(`${path}: nested components`);
    // A component sees everything accumulated so far: its resources join, then its patches run.
    result = await transform(component, path, [
      ...result,
      ...(await build({ resources: component.resources ?? [] }, path)),
    ]);
    assertUnique(result, path);
  }
  return transform(kustomization, dir, result);
}

async function transform(
  kustomization: Kustomization,
  dir: string,
  objects: K8sObject[],
): Promise<K8sObject[]> {
  let result = objects;
  for (const patch of kustomization.patches ?? []) result = await applyPatch(patch, dir, result);
  for (const image of kustomization.images ?? []) {
    let used = false;
    result = result.map((object) =>
      mapContainers(object, (container) => {
        const reference = parseImage(String(container['image']));
        if (reference.name !== image.name) return container;
        used = true;
        const name = image.newName ?? reference.name;
        const digest = image.digest ?? (image.newTag === undefined ? reference.digest : undefined);
        const tag = image.newTag ?? (image.digest === undefined ? reference.tag : undefined);
        const ref = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
        return { ...container, image: ref };
      }),
    );
    if (!used) throw new Error(`${dir}: images entry ${image.name} matches no container`);
  }
  for (const { name, count } of kustomization.replicas ?? []) {
    let used = false;
    result = result.map((object) => {
      if (!['Deployment', 'StatefulSet', 'ReplicaSet'].includes(object.kind)) return object;
      if (object.metadata.name !== name) return object;
      used = true;
      return { ...object, spec: { ...(object['spec'] as JsonObject), replicas: count } };
    });
    if (!used) throw new Error(`${dir}: replicas entry ${name} matches no workload`);
  }
  return result;
}

async function applyPatch(patch: Patch, dir: string, objects: K8sObject[]): Promise<K8sObject[]> {
  const text =
    patch.path !== undefined ? await readFile(resolve(dir, patch.path), 'utf8') : patch.patch;
  if (text === undefined) throw new Error(`${dir}: a patch has neither path nor patch`);
  const documents = parseYaml(text, patch.path ?? `${dir} (inline patch)`);
  if (documents.length !== 1 || !isObject(documents[0])) {
    throw new Error(
      `${dir}: a patch must be one strategic merge document (${patch.path ?? 'inline'})`,
    );
  }
  const body = documents[0] as K8sObject;
  const matches = (object: K8sObject): boolean =>
    patch.target === undefined
      ? object.kind === body.kind && object.metadata.name === body.metadata.name
      : matchesTarget(object, patch.target);
  let matched = 0;
  const result = objects.map((object) => {
    if (!matches(object)) return object;
    matched++;
    // The patch's own identity only selects (without a target); it never renames.
    const change: JsonObject = {
      ...body,
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { ...body.metadata, name: object.metadata.name },
    };
    return strategicMerge(object, change) as K8sObject;
  });
  if (matched === 0) throw new Error(`${dir}: patch ${patch.path ?? 'inline'} matches nothing`);
  return result;
}

function matchesTarget(object: K8sObject, target: PatchTarget): boolean {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  if (target.kind !== undefined && target.kind !== object.kind) return false;
  if (target.name !== undefined && target.name !== object.metadata.name) return false;
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (target.labelSelector !== undefined) {
    const labels = (object.metadata['labels'] ?? {}) as Record<string, string>;
    for (const requirement of target.labelSelector.split(',')) {
      const [key, value] = requirement.split('=').map((s) => s.trim());
      if (key === undefined || value === undefined || requirement.includes('!')) {
        throw new Error(`unsupported labelSelector term "${requirement}" (use key=value)`);
      }
      if (labels[key] !== value) return false;
    }
  }
  return true;
}

/** Applies `change` to every container and init container of a workload's pod template. */
export function mapContainers(
  object: K8sObject,
  change: (container: JsonObject) => JsonObject,
): K8sObject {
  const path = podSpecPath(object.kind);
  if (path === undefined) return object;
  const update = (node: Json | undefined, depth: number): Json => {
    if (!isObject(node)) throw new Error(`${object.kind} ${object.metadata.name} has no pod spec`);
    if (depth === path.length) {
      const spec = { ...node };
      for (const field of ['containers', 'initContainers']) {
        const list = spec[field];
        if (Array.isArray(list)) spec[field] = list.map((c) => change(c as JsonObject));
      }
      return spec;
    }
    const key = path[depth]!;
    return { ...node, [key]: update(node[key], depth + 1) };
  };
  return update(object, 0) as K8sObject;
}

/** Where a workload keeps its pod spec, or undefined for objects without one. */
export function podSpecPath(kind: string): readonly string[] | undefined {
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return ['spec', 'template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    case 'Pod':
      return ['spec'];
    default:
      return undefined;
  }
}

export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@') as [string, string | undefined];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    ...(hasTag ? { tag: withoutDigest.slice(colon + 1) } : {}),
    ...(digest === undefined ? {} : { digest }),
  };
}

export function objectId(object: K8sObject): string {
  const namespace =
    typeof object.metadata['namespace'] === 'string' ? object.metadata['namespace'] : '';
  return `${object.apiVersion}/${object.kind}/${namespace}/${object.metadata.name}`;
}

function assertUnique(objects: readonly K8sObject[], dir: string): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = objectId(object);
    if (seen.has(id)) throw new Error(`${dir}: ${id} is defined twice`);
    seen.add(id);
  }
}

async function readKustomization(dir: string): Promise<Kustomization> {
  const names = await readdir(dir);
  const file = KUSTOMIZATION_FILES.find((name) => names.includes(name));
  if (file === undefined) throw new Error(`${dir} has no kustomization.yaml`);
  const [document] = parseYaml(await readFile(join(dir, file), 'utf8'), join(dir, file));
  if (!isObject(document)) throw new Error(`${dir}/${file} is not a mapping`);
  for (const field of Object.keys(document)) {
    if (!SUPPORTED_FIELDS.has(field)) {
      throw new Error(`${dir}/${file}: "${field}" is not supported by the test renderer`);
    }
  }
  return document as unknown as Kustomization;
}

async function readObjects(path: string): Promise<K8sObject[]> {
  return parseYaml(await readFile(path, 'utf8'), path).map((document) => {
    if (
      !isObject(document) ||
      typeof document['apiVersion'] !== 'string' ||
      typeof document['kind'] !== 'string' ||
      !isObject(document['metadata']) ||
      typeof document['metadata']['name'] !== 'string'
    ) {
      throw new Error(`${path}: every document needs apiVersion, kind and metadata.name`);
    }
    return document as K8sObject;
  });
}

/** Parses YAML documents, failing on any syntax error or duplicate key. */
export function parseYaml(text: string, source: string): Json[] {
  return parseAllDocuments(text)
    .map((document) => {
      const problem = document.errors[0];
      if (problem !== undefined) throw new Error(`${source}: ${problem.message}`);
      return document.toJS() as Json;
    })
    .filter((document) => document !== null);
}
