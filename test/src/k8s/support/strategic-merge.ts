/**
 * A strategic merge patch, as kustomize applies one, for the subset of Kubernetes objects the
 * manifests in k8s/ patch: maps merge key by key (`null` deletes), lists of named things merge
 * by their merge key, every other list is replaced. Where kustomize and this disagree, the
 * cross-check in kustomize-renderer.test.ts fails (when kubectl is installed).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The patchMergeKey of the Kubernetes lists the manifests patch, by field name. */
const MERGE_KEYS: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  // Container ports merge by containerPort, Service ports by port.
  ports: ['containerPort', 'port'],
};

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function strategicMerge(original: Json | undefined, patch: Json, field = ''): Json {
  if (patch === null) return null;
  if (isObject(patch)) {
    if (patch['$patch'] === 'replace') return withoutDirectives(patch);
    if (!isObject(original)) return withoutDirectives(patch);
    const merged: JsonObject = { ...original };
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch') continue;
      if (value === null) {
        delete merged[key];
        continue;
      }
      merged[key] = strategicMerge(original[key], value, key);
    }
    return merged;
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(original)) return patch.map(withoutDirectives);
    const key = mergeKeyOf(field, [...original, ...patch]);
    return key === undefined ? patch.map(withoutDirectives) : mergeList(original, patch, key);
  }
  return patch;
}

/**
 * Elements of `patch` matched by key are merged into the original in place; unmatched ones come
 * first, in the patch's order (what kustomize's merge does: see its output for env lists).
 */
function mergeList(original: Json[], patch: Json[], key: string): Json[] {
  const patchByKey = new Map<Json | undefined, JsonObject>();
  for (const item of patch) {
    if (!isObject(item) || item[key] === undefined) {
      throw new Error(`a patched ${key}-keyed list element has no ${key}: ${JSON.stringify(item)}`);
    }
    patchByKey.set(item[key], item);
  }
  const originalKeys = new Set(original.map((item) => (isObject(item) ? item[key] : undefined)));
  const added = patch
    .filter((item) => isObject(item) && !originalKeys.has(item[key]) && item['$patch'] !== 'delete')
    .map(withoutDirectives);
  const kept: Json[] = [];
  for (const item of original) {
    const change = isObject(item) ? patchByKey.get(item[key]) : undefined;
    if (change === undefined) kept.push(item);
    else if (change['$patch'] !== 'delete') kept.push(strategicMerge(item, change));
  }
  return [...added, ...kept];
}

function mergeKeyOf(field: string, items: readonly Json[]): string | undefined {
  const candidates = MERGE_KEYS[field];
  if (candidates === undefined || !items.every(isObject)) return undefined;
  return candidates.find((key) => items.every((item) => isObject(item) && key in item));
}

function withoutDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isObject(value)) return value;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key !== '$patch') copy[key] = withoutDirectives(item);
  }
  return copy;
}
