import { featuresv1 } from '@feedmesh/contracts';
import type { PackedMatrix, PackedVector } from './candidate-matrix.js';

/**
 * GetFeaturesResponse with its values as Float32Arrays. Encoded straight to the protobuf wire
 * format: a packed `repeated float` is the float32 bytes themselves, so a thousand rows are one
 * copy, where the generated encoder writes (and allocates) float by float. The bytes are the
 * same message: any client decodes them with the generated code.
 */
export interface PackedFeaturesResponse {
  readonly schema: string;
  readonly user: PackedVector;
  readonly candidates: PackedMatrix;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A message type nice-grpc can serve GetFeatures with (see `packedFeatureStoreDefinition`). */
export const PackedGetFeaturesResponse = {
  encode(message: PackedFeaturesResponse): { finish(): Uint8Array } {
    return { finish: () => encodeFeaturesResponse(message) };
  },
  decode: decodeFeaturesResponse,
};

/**
 * FeatureStoreService as generated, except that GetFeatures answers with a
 * `PackedFeaturesResponse` (same wire format): faster to encode for the server, and for a
 * client made from it, faster to decode (the values are one copy into a Float32Array, where
 * the generated decoder pushes float by float into an array).
 */
export const packedFeatureStoreDefinition = {
  ...featuresv1.FeatureStoreServiceDefinition,
  methods: {
    ...featuresv1.FeatureStoreServiceDefinition.methods,
    getFeatures: {
      ...featuresv1.FeatureStoreServiceDefinition.methods.getFeatures,
      responseType: PackedGetFeaturesResponse,
    },
  },
} as const;

/** Field numbers and wire types of feature_store.proto, as tags. */
const TAG = {
  responseSchema: (1 << 3) | 2,
  responseUser: (2 << 3) | 2,
  responseCandidates: (3 << 3) | 2,
  vectorNames: (1 << 3) | 2,
  vectorValues: (2 << 3) | 2,
  vectorMissing: (3 << 3) | 2,
  matrixNames: (1 << 3) | 2,
  matrixRows: (2 << 3) | 0,
  matrixValues: (3 << 3) | 2,
  matrixMissing: (4 << 3) | 2,
} as const;

/** The names of a schema's columns, encoded once per tag: they are the same in every response. */
const encodedNames = new WeakMap<readonly string[], Map<number, Buffer>>();

function namesBlock(names: readonly string[], tag: number): Buffer {
  let byTag = encodedNames.get(names);
  if (byTag === undefined) {
    byTag = new Map();
    encodedNames.set(names, byTag);
  }
  let block = byTag.get(tag);
  if (block === undefined) {
    const writer = new Writer();
    for (const name of names) writer.bytesField(tag, Buffer.from(name, 'utf8'));
    block = writer.toBuffer();
    byTag.set(tag, block);
  }
  return block;
}

export function encodeFeaturesResponse(message: PackedFeaturesResponse): Uint8Array {
  const user = new Writer();
  user.raw(namesBlock(message.user.names, TAG.vectorNames));
  user.floatsField(TAG.vectorValues, message.user.values);
  user.bytesField(TAG.vectorMissing, message.user.missing, true);

  const { candidates } = message;
  const matrix = new Writer();
  matrix.raw(namesBlock(candidates.names, TAG.matrixNames));
  if (candidates.rows !== 0) matrix.varintField(TAG.matrixRows, candidates.rows);
  matrix.floatsField(TAG.matrixValues, candidates.values);
  matrix.bytesField(TAG.matrixMissing, candidates.missing, true);

  const response = new Writer();
  response.bytesField(TAG.responseSchema, Buffer.from(message.schema, 'utf8'), true);
  response.messageField(TAG.responseUser, user);
  response.messageField(TAG.responseCandidates, matrix);
  return response.toBuffer();
}

/** Just enough of a protobuf writer: length-delimited fields, varints, packed floats. */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  raw(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  varint(value: number): void {
    const bytes: number[] = [];
    let rest = value >>> 0;
    while (rest > 0x7f) {
      bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    bytes.push(rest);
    this.raw(Uint8Array.from(bytes));
  }

  varintField(tag: number, value: number): void {
    this.varint(tag);
    this.varint(value);
  }

  /** Proto3 leaves an empty string or bytes field out (`skipEmpty`); a message is always sent. */
  bytesField(tag: number, bytes: Uint8Array, skipEmpty = false): void {
    if (skipEmpty && bytes.length === 0) return;
    this.varint(tag);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A packed repeated float; left out when empty, as proto3 does. */
  floatsField(tag: number, values: Float32Array): void {
    if (values.length === 0) return;
    this.bytesField(tag, littleEndianBytes(values));
  }

  messageField(tag: number, message: Writer): void {
    this.varint(tag);
    this.varint(message.length);
    for (const part of message.parts) this.raw(part);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  if (isLittleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = Buffer.allocUnsafe(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes;
}

/**
 * Decodes a GetFeaturesResponse into Float32Arrays. Accepts what any encoder may send: packed
 * or unpacked floats, fields in any order, unknown fields (skipped).
 */
export function decodeFeaturesResponse(input: Uint8Array): PackedFeaturesResponse {
  const reader = new Reader(input, 0, input.length);
  let schema = '';
  let user: PackedVector = { names: [], values: new Float32Array(0), missing: new Uint8Array(0) };
  let candidates: PackedMatrix = {
    names: [],
    rows: 0,
    values: new Float32Array(0),
    missing: new Uint8Array(0),
  };
  while (reader.more()) {
    const tag = reader.varint();
    if (tag === TAG.responseSchema) schema = reader.string();
    else if (tag === TAG.responseUser) user = decodeVector(reader.message());
    else if (tag === TAG.responseCandidates) candidates = decodeMatrix(reader.message());
    else reader.skip(tag & 7);
  }
  return { schema, user, candidates };
}

function decodeVector(reader: Reader): PackedVector {
  const names: string[] = [];
  const floats = new FloatCollector();
  let missing = new Uint8Array(0);
  while (reader.more()) {
    const tag = reader.varint();
    if (tag === TAG.vectorNames) names.push(reader.string());
    else if (tag === TAG.vectorValues) floats.packed(reader.bytes());
    else if (tag === ((2 << 3) | 5)) floats.single(reader.float());
    else if (tag === TAG.vectorMissing) missing = reader.bytes().slice();
    else reader.skip(tag & 7);
  }
  return { names, values: floats.values(), missing };
}

function decodeMatrix(reader: Reader): PackedMatrix {
  const names: string[] = [];
  const floats = new FloatCollector();
  let rows = 0;
  let missing = new Uint8Array(0);
  while (reader.more()) {
    const tag = reader.varint();
    if (tag === TAG.matrixNames) names.push(reader.string());
    else if (tag === TAG.matrixRows) rows = reader.varint();
    else if (tag === TAG.matrixValues) floats.packed(reader.bytes());
    else if (tag === ((3 << 3) | 5)) floats.single(reader.float());
    else if (tag === TAG.matrixMissing) missing = reader.bytes().slice();
    else reader.skip(tag & 7);
  }
  return { names, rows, values: floats.values(), missing };
}

/** Float32 values from packed chunks (usually one) and single unpacked ones, in order. */
class FloatCollector {
  private readonly chunks: Float32Array[] = [];
  private count = 0;

  packed(bytes: Uint8Array): void {
    const values = new Float32Array(bytes.length >> 2);
    if (isLittleEndian) {
      new Uint8Array(values.buffer).set(bytes.subarray(0, values.length * 4));
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
    }
    this.chunks.push(values);
    this.count += values.length;
  }

  single(value: number): void {
    this.chunks.push(Float32Array.of(value));
    this.count += 1;
  }

  values(): Float32Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const all = new Float32Array(this.count);
    let at = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return all;
  }
}

/** Just enough of a protobuf reader for feature_store.proto's responses. */
class Reader {
  constructor(
    private readonly bytes_: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('GetFeaturesResponse: truncated varint');
      const byte = this.bytes_[this.pos++]!;
      if (shift < 28) result |= (byte & 0x7f) << shift;
      else result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('GetFeaturesResponse: varint too long');
    }
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (this.pos + length > this.end) throw new Error('GetFeaturesResponse: truncated field');
    const bytes = this.bytes_.subarray(this.pos, this.pos + length);
    this.pos += length;
    return bytes;
  }

  string(): string {
    const bytes = this.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }

  message(): Reader {
    const length = this.varint();
    if (this.pos + length > this.end) throw new Error('GetFeaturesResponse: truncated message');
    const start = this.pos;
    this.pos += length;
    return new Reader(this.bytes_, start, start + length);
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new Error('GetFeaturesResponse: truncated float');
    const view = new DataView(this.bytes_.buffer, this.bytes_.byteOffset + this.pos, 4);
    this.pos += 4;
    return view.getFloat32(0, true);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`GetFeaturesResponse: unsupported wire type ${wireType}`);
    }
  }
}
