/**
 * The protobuf wire format, by hand: the fuzzer must write what no generated encoder would
 * (a varint of 11 bytes, a length past the end, a field with the wrong wire type), and read
 * the descriptor set without a protobuf runtime of its own.
 */

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

/** Appends wire-format pieces to a growing buffer. */
export class WireWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  get size(): number {
    return this.length;
  }

  raw(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(BigInt(field) * 8n + BigInt(wireType & 7));
  }

  /** Any unsigned value up to 2^64-1 (larger values are truncated to 64 bits). */
  varint(value: bigint | number): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    return this.raw(Uint8Array.from(bytes));
  }

  /** int32/int64 as protobuf writes them: negative numbers as 10-byte two's complement. */
  signedVarint(value: bigint): this {
    return this.varint(BigInt.asUintN(64, value));
  }

  zigzag(value: bigint): this {
    const v = BigInt.asIntN(64, value);
    return this.varint(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  fixed32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
    return this.raw(bytes);
  }

  fixed64(value: bigint): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.raw(bytes);
  }

  float(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.raw(bytes);
  }

  double(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.raw(bytes);
  }

  /** A length prefix and the bytes. */
  bytes(value: Uint8Array): this {
    return this.varint(value.length).raw(value);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [out];
    return out;
  }
}

/** One field as read off the wire. */
export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** Varint and fixed values. */
  readonly number?: bigint;
  /** Length-delimited contents. */
  readonly bytes?: Uint8Array;
}

/** Reads the fields of one message; throws on anything malformed. */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (offset >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  const take = (n: number): Uint8Array => {
    if (offset + n > bytes.length) throw new Error('truncated field');
    const out = bytes.subarray(offset, offset + n);
    offset += n;
    return out;
  };
  while (offset < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    switch (wireType) {
      case WireType.Varint:
        fields.push({ field, wireType, number: varint() });
        break;
      case WireType.Fixed64:
        fields.push({
          field,
          wireType,
          number: new DataView(take(8).slice().buffer).getBigUint64(0, true),
        });
        break;
      case WireType.LengthDelimited:
        fields.push({ field, wireType, bytes: take(Number(varint())) });
        break;
      case WireType.Fixed32:
        fields.push({
          field,
          wireType,
          number: BigInt(new DataView(take(4).slice().buffer).getUint32(0, true)),
        });
        break;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return fields;
}
