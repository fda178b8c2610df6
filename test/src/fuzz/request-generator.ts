import { FieldType, type Contracts, type FieldInfo, type MessageInfo } from './descriptors.js';
import type { Random } from './random.js';
import { WireType, WireWriter } from './wire.js';

/** How an input was made; reported with every outcome, so a finding says what provoked it. */
export type GeneratorName =
  'random-bytes' | 'structured' | 'wrong-wire-types' | 'mutated-seed' | 'seed-plus-field' | 'huge';

/** The share of each generator among the ordinary (not huge) inputs. */
const MIX: readonly (readonly [number, GeneratorName])[] = [
  [15, 'random-bytes'],
  [35, 'structured'],
  [10, 'wrong-wire-types'],
  [20, 'mutated-seed'],
  [20, 'seed-plus-field'],
];

const MAX_DEPTH = 5;
const ENCODER = new TextEncoder();

/** Strings that find edges: empty, the limits of ids and texts, what ids forbid, odd Unicode. */
const STRINGS: readonly string[] = [
  '',
  'a',
  'u1',
  'p-1',
  'user_42.x:y',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(100),
  'x'.repeat(129),
  'x'.repeat(513),
  'x'.repeat(16_385),
  'bad id',
  'id/slash',
  '#tag',
  'tag,comma',
  'tag with space',
  ' ',
  '   padded   ',
  '\u0000',
  '\n',
  'é',
  'naïve café',
  '👍🏽',
  '\u202e',
  'UTC',
  'Europe/Paris',
  'Not/AZone',
  '"a phrase"',
  '"unclosed',
  'blog:',
  'blog:someone',
  '#',
  '-',
  '*',
  'OR AND NOT',
  'feed',
  'feed@1',
  'n1:',
  'bjE6',
  '%00',
  '../../etc/passwd',
  '{"json":true}',
];

/** Byte strings that are not UTF-8: decoders must not trip over them. */
const BAD_UTF8: readonly Uint8Array[] = [
  Uint8Array.from([0xff]),
  Uint8Array.from([0xc0, 0x80]),
  Uint8Array.from([0xe2, 0x82]),
  Uint8Array.from([0xed, 0xa0, 0x80]),
  Uint8Array.from([0xf4, 0x90, 0x80, 0x80]),
  Uint8Array.from([0x61, 0xfe, 0x62]),
];

const BIG: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n,
  10n,
  99n,
  100n,
  101n,
  1000n,
  1001n,
  5000n,
  5001n,
  10_000n,
  2n ** 31n - 1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  -(2n ** 53n) - 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
];

const FLOATS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  3.4e38,
  1e39,
  1e-45,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 53,
];

/**
 * Makes requests for any message of the contracts: well-formed ones with edge values in
 * every field, and ill-formed ones at the byte level. Deterministic for a given `Random`.
 */
export class RequestGenerator {
  constructor(
    private readonly contracts: Contracts,
    /** The services' GRPC_MAX_MESSAGE_BYTES: huge inputs straddle it. */
    private readonly maxMessageBytes: number,
  ) {}

  /** One ordinary input for `inputType`: which generator is drawn from `MIX`. */
  generate(
    rng: Random,
    inputType: string,
    seeds: readonly Uint8Array[],
  ): { generator: GeneratorName; bytes: Uint8Array } {
    const generator =
      seeds.length > 0
        ? rng.weighted(MIX)
        : rng.weighted(MIX.filter(([, g]) => !g.includes('seed')));
    return { generator, bytes: this.make(rng, generator, inputType, seeds) };
  }

  make(
    rng: Random,
    generator: GeneratorName,
    inputType: string,
    seeds: readonly Uint8Array[],
  ): Uint8Array {
    const message = this.message(inputType);
    switch (generator) {
      case 'random-bytes':
        return rng.bytes(rng.length(4096));
      case 'structured':
        return this.structured(rng, message, 0, 0);
      case 'wrong-wire-types':
        return this.structured(rng, message, 0, 0.35);
      case 'mutated-seed':
        return mutate(rng, rng.pick(seeds), () => this.structured(rng, message, 0, 0));
      case 'seed-plus-field': {
        // Protobuf merges a field appended to a message into it (the last scalar wins, a
        // repeated field grows): a valid request with exactly one field made strange.
        const writer = new WireWriter().raw(rng.pick(seeds));
        if (message.fields.length > 0) this.field(rng, writer, rng.pick(message.fields), 1, 0);
        return writer.finish();
      }
      case 'huge':
        return this.huge(rng, message);
    }
  }

  private message(name: string): MessageInfo {
    const message = this.contracts.messages.get(name);
    if (message === undefined) throw new Error(`no message ${name} in the descriptor set`);
    return message;
  }

  /** A message with random fields; `wrongWire` is the chance each field gets a wrong wire type. */
  private structured(
    rng: Random,
    message: MessageInfo,
    depth: number,
    wrongWire: number,
  ): Uint8Array {
    const writer = new WireWriter();
    const oneofChoice = new Map<number, number>();
    for (const field of message.fields) {
      if (field.oneofIndex !== undefined) {
        // Usually one member of a oneof, sometimes none, sometimes several (the last wins).
        const chosen = oneofChoice.get(field.oneofIndex);
        if (chosen === undefined) {
          const members = message.fields.filter((f) => f.oneofIndex === field.oneofIndex);
          oneofChoice.set(field.oneofIndex, rng.chance(0.1) ? -1 : rng.pick(members).number);
        }
        const member = oneofChoice.get(field.oneofIndex);
        if (member !== field.number && !(member === -1 && rng.chance(0.5))) continue;
      } else if (!rng.chance(0.65)) {
        continue;
      }
      // Long lists only at the top: nested in lists they would multiply into messages of
      // megabytes, which the huge inputs already cover, one at a time.
      const long = depth === 0 ? 0.2 : 0;
      const count = field.repeated
        ? rng.weighted<number>([
            [3, 1],
            [3, 2 + rng.int(4)],
            [1, 0],
            [1, 10 + rng.int(100)],
            [long, 1000 + rng.int(5000)],
          ])
        : 1;
      if (field.repeated && isPackable(field.type) && rng.chance(0.5)) {
        const packed = new WireWriter();
        for (let i = 0; i < count; i++) this.scalar(rng, packed, field);
        writer.tag(field.number, WireType.LengthDelimited).bytes(packed.finish());
        continue;
      }
      for (let i = 0; i < count; i++) this.field(rng, writer, field, depth, wrongWire);
    }
    // An unknown field now and then: a newer client's request must still be understood.
    if (rng.chance(0.1)) {
      writer.tag(1000 + rng.int(1000), WireType.LengthDelimited).bytes(rng.bytes(rng.length(64)));
    }
    return writer.finish();
  }

  /** One occurrence of `field`: its tag and a value of its type (or of the wrong wire type). */
  private field(
    rng: Random,
    writer: WireWriter,
    field: FieldInfo,
    depth: number,
    wrongWire: number,
  ): void {
    const wire = wireTypeOf(field.type);
    if (rng.chance(wrongWire)) {
      const other = rng.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== wire));
      writer.tag(field.number, other);
      if (other === WireType.Varint) writer.varint(rng.pick(BIG));
      else if (other === WireType.Fixed64) writer.fixed64(rng.pick(BIG));
      else if (other === WireType.Fixed32) writer.fixed32(rng.int(2 ** 32));
      else if (other === WireType.LengthDelimited) writer.bytes(rng.bytes(rng.length(32)));
      // Groups and invalid wire types (6, 7) carry nothing: the tag alone is the test.
      return;
    }
    writer.tag(field.number, wire);
    if (field.type === FieldType.Message) {
      // Deep garbage: a nested message of random bytes, or one nested too deep.
      if (depth >= MAX_DEPTH || rng.chance(0.1)) {
        writer.bytes(rng.chance(0.5) ? rng.bytes(rng.length(128)) : new Uint8Array());
      } else {
        writer.bytes(this.structured(rng, this.message(field.typeName), depth + 1, wrongWire));
      }
      return;
    }
    this.scalar(rng, writer, field);
  }

  /** A value of a non-message field, without its tag. */
  private scalar(rng: Random, writer: WireWriter, field: FieldInfo): void {
    switch (field.type) {
      case FieldType.String:
        writer.bytes(this.stringValue(rng, field));
        return;
      case FieldType.Bytes:
        writer.bytes(rng.bytes(rng.length(300)));
        return;
      case FieldType.Bool:
        writer.varint(
          rng.weighted<bigint>([
            [4, 0n],
            [4, 1n],
            [1, 2n],
            [1, 2n ** 63n],
          ]),
        );
        return;
      case FieldType.Enum: {
        const declared = this.contracts.enums.get(field.typeName) ?? [0];
        const value = rng.chance(0.7)
          ? BigInt(rng.pick(declared))
          : rng.pick([
              -1n,
              7n,
              99n,
              BigInt(Math.max(...declared) + 1),
              2n ** 31n - 1n,
              -(2n ** 31n),
            ]);
        writer.signedVarint(value);
        return;
      }
      case FieldType.Float:
        writer.float(rng.chance(0.8) ? rng.pick(FLOATS) : (rng.next() - 0.5) * 10 ** rng.int(12));
        return;
      case FieldType.Double:
        writer.double(rng.chance(0.8) ? rng.pick(FLOATS) : (rng.next() - 0.5) * 10 ** rng.int(20));
        return;
      case FieldType.Fixed32:
      case FieldType.Sfixed32:
        writer.fixed32(Number(BigInt.asUintN(32, this.integer(rng, field))));
        return;
      case FieldType.Fixed64:
      case FieldType.Sfixed64:
        writer.fixed64(this.integer(rng, field));
        return;
      case FieldType.Sint32:
      case FieldType.Sint64:
        writer.zigzag(this.integer(rng, field));
        return;
      default:
        writer.signedVarint(this.integer(rng, field));
    }
  }

  private integer(rng: Random, field: FieldInfo): bigint {
    if (rng.chance(0.7)) return rng.pick(BIG);
    // Times are int64 milliseconds: values around now find clock-skew checks.
    if (field.name.endsWith('_ms') && rng.chance(0.5)) {
      return BigInt(Date.now() + rng.pick([-86_400_000, -1, 0, 1, 300_000, 300_001, 86_400_000]));
    }
    return BigInt(rng.int(2 ** 31)) * (rng.chance(0.5) ? -1n : 1n);
  }

  private stringValue(rng: Random, field: FieldInfo): Uint8Array {
    const r = rng.next();
    if (r < 0.05) return rng.pick(BAD_UTF8);
    if (r < 0.45 && /_ids?$|^model$/.test(field.name)) {
      // Mostly valid ids, so the request gets past the first check into deeper code.
      return ENCODER.encode(`${rng.pick(['u', 'p', 'b', 'n', 'x'])}${rng.int(1000)}`);
    }
    if (r < 0.85) return ENCODER.encode(rng.pick(STRINGS));
    const length = rng.length(200);
    let text = '';
    for (let i = 0; i < length; i++) {
      text += rng.chance(0.9)
        ? String.fromCharCode(32 + rng.int(95))
        : String.fromCodePoint(rng.int(0x10ffff + 1) & ~0x800);
    }
    return ENCODER.encode(text);
  }

  /**
   * A message near the size limit: just under it (must be accepted by the transport and
   * answered by the handler), just over it (RESOURCE_EXHAUSTED), or in between. The bulk is
   * one string, a long repeated field, or an unknown field when the message has neither.
   */
  private huge(rng: Random, message: MessageInfo): Uint8Array {
    const size = rng.pick([
      this.maxMessageBytes - 1024,
      this.maxMessageBytes + 1024,
      64 * 1024 + rng.int(this.maxMessageBytes - 64 * 1024),
    ]);
    const writer = new WireWriter();
    const bulky = message.fields.filter(
      (f) => f.type === FieldType.String || f.type === FieldType.Bytes || f.repeated,
    );
    if (bulky.length === 0) {
      writer.tag(1999, WireType.LengthDelimited).bytes(new Uint8Array(size).fill(0x61));
      return writer.finish();
    }
    const field = rng.pick(bulky);
    if (!field.repeated) {
      writer.tag(field.number, WireType.LengthDelimited).bytes(new Uint8Array(size).fill(0x61));
    } else if (isPackable(field.type)) {
      // A block of random values, repeated: writing millions one by one would stall the
      // fuzzer for seconds, and its own stall would show up as the services' deadlines.
      const block = new WireWriter();
      while (block.size < 4096) this.scalar(rng, block, field);
      writer.tag(field.number, WireType.LengthDelimited).bytes(repeat(block.finish(), size));
    } else {
      // Many small elements: ids of one character, or tiny messages.
      const element =
        field.type === FieldType.Message
          ? this.structured(rng, this.message(field.typeName), MAX_DEPTH - 1, 0)
          : ENCODER.encode('a');
      const one = new WireWriter()
        .tag(field.number, WireType.LengthDelimited)
        .bytes(element)
        .finish();
      writer.raw(repeat(one, size));
    }
    return writer.finish();
  }
}

function wireTypeOf(type: FieldType): WireType {
  switch (type) {
    case FieldType.Double:
    case FieldType.Fixed64:
    case FieldType.Sfixed64:
      return WireType.Fixed64;
    case FieldType.Float:
    case FieldType.Fixed32:
    case FieldType.Sfixed32:
      return WireType.Fixed32;
    case FieldType.String:
    case FieldType.Bytes:
    case FieldType.Message:
      return WireType.LengthDelimited;
    case FieldType.Group:
      return WireType.StartGroup;
    default:
      return WireType.Varint;
  }
}

function isPackable(type: FieldType): boolean {
  return ![FieldType.String, FieldType.Bytes, FieldType.Message, FieldType.Group].includes(type);
}

/** 1-4 byte-level mutations of `seed`: flips, overwrites, cuts, insertions, splices. */
function mutate(rng: Random, seed: Uint8Array, other: () => Uint8Array): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(seed);
  const rounds = 1 + rng.int(4);
  for (let round = 0; round < rounds; round++) {
    const at = bytes.length === 0 ? 0 : rng.int(bytes.length);
    switch (rng.int(8)) {
      case 0:
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << rng.int(8));
        break;
      case 1:
        if (bytes.length > 0) bytes[at] = rng.pick([0x00, 0x7f, 0x80, 0xff, rng.int(256)]);
        break;
      case 2:
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1 + rng.int(8)));
        break;
      case 3:
        bytes = concat(bytes.subarray(0, at), rng.bytes(1 + rng.int(16)), bytes.subarray(at));
        break;
      case 4:
        bytes = bytes.subarray(0, at);
        break;
      case 5: {
        const end = Math.min(bytes.length, at + 1 + rng.int(32));
        bytes = concat(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end));
        break;
      }
      case 6:
        // A varint that never ends, or a length that points past the end.
        bytes = concat(bytes.subarray(0, at), new Uint8Array(11).fill(0xff), bytes.subarray(at));
        break;
      default: {
        const splice = other();
        bytes = concat(bytes.subarray(0, at), splice.subarray(0, rng.int(splice.length + 1)));
      }
    }
  }
  return bytes;
}

/** Whole copies of `unit`, at least one, about `size` bytes in all. */
function repeat(unit: Uint8Array, size: number): Uint8Array {
  const count = Math.max(1, Math.floor(size / unit.length));
  const out = new Uint8Array(count * unit.length);
  out.set(unit, 0);
  // Doubling copies: a few dozen memcpy calls for 16 MiB.
  for (let filled = unit.length; filled < out.length; filled *= 2) {
    out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
