import {
  createFileRegistry,
  fromBinary,
  type DescMessage,
  type FileRegistry,
} from '@bufbuild/protobuf';
import { isReflectMessage, reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { feedmeshDescriptorSet } from './descriptor-set.js';

/** A 64-bit integer field whose value a JavaScript number cannot hold exactly. */
export interface UnsafeIntegerField {
  /** The proto field path, as validation errors name fields: `events[0].at_ms`. */
  readonly field: string;
  /** The value sent, in decimal. */
  readonly value: string;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

let registry: FileRegistry | undefined;

/**
 * The generated decoders read 64-bit integers as numbers and throw, naming no field, on one
 * beyond ±(2^53 − 1). That is nearly always a caller's unit mistake (nanoseconds where
 * milliseconds were asked), so the request of `methodPath` (`/package.Service/Method`) is read
 * again through the descriptor set, where 64-bit integers are bigints, to name the fields.
 * Empty when the method is unknown or the bytes do not decode.
 */
export function unsafeIntegerFields(methodPath: string, bytes: Uint8Array): UnsafeIntegerField[] {
  const input = requestDescriptor(methodPath);
  if (!input) return [];
  let message: ReflectMessage;
  try {
    message = reflect(input, fromBinary(input, bytes));
  } catch {
    return [];
  }
  const found: UnsafeIntegerField[] = [];
  collect(message, '', found);
  return found;
}

function requestDescriptor(methodPath: string): DescMessage | undefined {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(methodPath);
  if (!match) return undefined;
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, feedmeshDescriptorSet()));
  return registry.getService(match[1]!)?.methods.find((m) => m.name === match[2])?.input;
}

function collect(message: ReflectMessage, prefix: string, found: UnsafeIntegerField[]): void {
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const path = prefix === '' ? field.name : `${prefix}.${field.name}`;
    const value: unknown = message.get(field);
    if (field.fieldKind === 'list') {
      let i = 0;
      for (const item of value as Iterable<unknown>) visit(item, `${path}[${i++}]`, found);
    } else if (field.fieldKind === 'map') {
      for (const [key, item] of value as Iterable<[unknown, unknown]>) {
        visit(item, `${path}[${String(key)}]`, found);
      }
    } else {
      visit(value, path, found);
    }
  }
}

function visit(value: unknown, path: string, found: UnsafeIntegerField[]): void {
  if (isReflectMessage(value)) collect(value, path, found);
  else if (typeof value === 'bigint' && (value > MAX_SAFE || value < MIN_SAFE)) {
    found.push({ field: path, value: value.toString() });
  }
}
