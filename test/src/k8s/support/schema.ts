/**
 * Validates Kubernetes objects against the API's JSON schemas, as `kubernetes-models` compiles
 * them from the Kubernetes OpenAPI document (its own `validate()`), plus what those schemas
 * leave out: a field the schema does not know (a typo such as `readinesProbe`) is an error
 * here, as in `kubeconform -strict`, instead of being dropped by the API server unnoticed.
 *
 * The unknown-field check watches which properties the compiled validator reads: it reads
 * every field its schema declares and every entry of a map, so a property it never reads is
 * one the schema does not have.
 *
 * kubernetes-models 4.5 carries the Kubernetes 1.33 schemas; 5.x (1.36) requires Node.js 22.
 */
import type { K8sObject } from './kustomize.js';

interface ValidatingModel {
  prototype: { validate(this: unknown): void };
}

export interface SchemaProblem {
  readonly object: string;
  readonly message: string;
}

const models = new Map<string, Promise<ValidatingModel>>();

/** The kubernetes-models class of an apiVersion and kind, e.g. `kubernetes-models/apps/v1/Deployment`. */
async function modelOf(apiVersion: string, kind: string): Promise<ValidatingModel> {
  const key = `${apiVersion}/${kind}`;
  let model = models.get(key);
  if (model === undefined) {
    const specifier = `kubernetes-models/${apiVersion}/${kind}`;
    model = (import(specifier) as Promise<Record<string, ValidatingModel | undefined>>).then(
      (module) => {
        const found = module[kind];
        if (found === undefined) throw new Error(`${specifier} exports no ${kind}`);
        return found;
      },
      () => {
        throw new Error(`no Kubernetes schema for apiVersion ${apiVersion}, kind ${kind}`);
      },
    );
    models.set(key, model);
  }
  return model;
}

/** Every problem of one object: schema violations and fields the schema does not know. */
export async function validateObject(object: K8sObject): Promise<SchemaProblem[]> {
  const name = `${object.kind}/${object.metadata.name}`;
  let model: ValidatingModel;
  try {
    model = await modelOf(object.apiVersion, object.kind);
  } catch (error) {
    return [{ object: name, message: (error as Error).message }];
  }
  const read = new Set<string>();
  const problems: SchemaProblem[] = [];
  try {
    model.prototype.validate.call(watched(object, '', read));
  } catch (error) {
    problems.push({ object: name, message: (error as Error).message });
  }
  for (const path of unreadPaths(object, '', read)) {
    problems.push({ object: name, message: `${path} is not a field of ${object.kind}` });
  }
  return problems;
}

function watched(value: unknown, path: string, read: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const result: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return result;
      const child = `${path}/${key}`;
      read.add(child);
      return watched(result, child, read);
    },
  });
}

function unreadPaths(value: unknown, path: string, read: ReadonlySet<string>): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = `${path}/${key}`;
    return read.has(childPath) ? unreadPaths(child, childPath, read) : [childPath];
  });
}
