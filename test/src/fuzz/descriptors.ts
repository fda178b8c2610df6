import { readFields, type WireField } from './wire.js';

/**
 * What the fuzzer needs of the contracts, read from the compiled FileDescriptorSet
 * (`feedmeshDescriptorSet()`): every service and method, and every message's fields, so it
 * can build well-formed, half-formed and ill-formed requests for any of them.
 * Field numbers below are those of google/protobuf/descriptor.proto.
 */

/** FieldDescriptorProto.Type. */
export const enum FieldType {
  Double = 1,
  Float = 2,
  Int64 = 3,
  Uint64 = 4,
  Int32 = 5,
  Fixed64 = 6,
  Fixed32 = 7,
  Bool = 8,
  String = 9,
  Group = 10,
  Message = 11,
  Bytes = 12,
  Uint32 = 13,
  Enum = 14,
  Sfixed32 = 15,
  Sfixed64 = 16,
  Sint32 = 17,
  Sint64 = 18,
}

export interface FieldInfo {
  readonly name: string;
  readonly number: number;
  readonly type: FieldType;
  readonly repeated: boolean;
  /** For messages and enums: the fully qualified name, with a leading dot. */
  readonly typeName: string;
  /** Index of the oneof it belongs to, if any. */
  readonly oneofIndex: number | undefined;
}

export interface MessageInfo {
  readonly fullName: string;
  readonly fields: readonly FieldInfo[];
}

export interface MethodInfo {
  /** `/feedmesh.gateway.v1.FeedGatewayService/GetFeed` */
  readonly path: string;
  readonly service: string;
  readonly name: string;
  readonly inputType: string;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

export interface Contracts {
  readonly messages: ReadonlyMap<string, MessageInfo>;
  /** Enum full name to its declared numbers. */
  readonly enums: ReadonlyMap<string, readonly number[]>;
  readonly methods: readonly MethodInfo[];
}

const text = (f: WireField) => new TextDecoder().decode(f.bytes);
const num = (f: WireField) => Number(f.number);
const all = (fields: readonly WireField[], n: number) => fields.filter((f) => f.field === n);
const one = (fields: readonly WireField[], n: number) => fields.find((f) => f.field === n);

export function readContracts(descriptorSet: Uint8Array): Contracts {
  const messages = new Map<string, MessageInfo>();
  const enums = new Map<string, number[]>();
  const methods: MethodInfo[] = [];

  const readEnum = (bytes: Uint8Array, scope: string) => {
    const fields = readFields(bytes);
    const name = `${scope}.${text(one(fields, 1)!)}`;
    enums.set(
      name,
      all(fields, 2).map((value) =>
        num(one(readFields(value.bytes!), 2) ?? { field: 2, wireType: 0, number: 0n }),
      ),
    );
  };
  const readMessage = (bytes: Uint8Array, scope: string) => {
    const fields = readFields(bytes);
    const fullName = `${scope}.${text(one(fields, 1)!)}`;
    messages.set(fullName, {
      fullName,
      fields: all(fields, 2).map((f) => {
        const field = readFields(f.bytes!);
        const oneof = one(field, 9);
        // proto3 `optional` is a synthetic oneof; the fuzzer treats both alike.
        return {
          name: text(one(field, 1)!),
          number: num(one(field, 3)!),
          type: num(one(field, 5)!) as FieldType,
          repeated: num(one(field, 4) ?? { field: 4, wireType: 0, number: 1n }) === 3,
          typeName: one(field, 6) ? text(one(field, 6)!) : '',
          oneofIndex: oneof ? num(oneof) : undefined,
        };
      }),
    });
    for (const nested of all(fields, 3)) readMessage(nested.bytes!, fullName);
    for (const nested of all(fields, 4)) readEnum(nested.bytes!, fullName);
  };

  for (const file of all(readFields(descriptorSet), 1)) {
    const fields = readFields(file.bytes!);
    const pkg = one(fields, 2) ? text(one(fields, 2)!) : '';
    const scope = pkg ? `.${pkg}` : '';
    for (const message of all(fields, 4)) readMessage(message.bytes!, scope);
    for (const enumType of all(fields, 5)) readEnum(enumType.bytes!, scope);
    for (const service of all(fields, 6)) {
      const serviceFields = readFields(service.bytes!);
      const serviceName = `${pkg}.${text(one(serviceFields, 1)!)}`;
      for (const method of all(serviceFields, 2)) {
        const m = readFields(method.bytes!);
        const name = text(one(m, 1)!);
        methods.push({
          path: `/${serviceName}/${name}`,
          service: serviceName,
          name,
          inputType: text(one(m, 2)!),
          clientStreaming: num(one(m, 5) ?? { field: 5, wireType: 0, number: 0n }) === 1,
          serverStreaming: num(one(m, 6) ?? { field: 6, wireType: 0, number: 0n }) === 1,
        });
      }
    }
  }
  return { messages, enums, methods };
}
