import * as featuresv1 from './gen/feedmesh/features/v1/feature_store.js';
import {
  floats,
  LENGTH_DELIMITED,
  FIXED32,
  messageType,
  Reader,
  tagOf,
  VARINT,
  Writer,
} from './packed-wire.js';

/** A FeatureVector with its values as a Float32Array. */
export interface PackedVector {
  readonly names: readonly string[];
  readonly values: Float32Array;
  /** Bit i (byte i/8, bit i%8, least significant first) set: value i is a default. */
  readonly missing: Uint8Array;
}

/** A FeatureMatrix (row-major) with its values as a Float32Array. */
export interface PackedMatrix {
  readonly names: readonly string[];
  readonly rows: number;
  readonly values: Float32Array;
  readonly missing: Uint8Array;
}

/**
 * GetFeaturesResponse with its values as Float32Arrays. A packed `repeated float` on the wire is
 * the float32 bytes themselves, so a thousand rows are one copy either way, where the generated
 * code writes and reads float by float. The bytes are the same message: any client decodes what
 * the packed encoder writes, and the packed decoder reads what any encoder writes.
 */
export interface PackedFeaturesResponse {
  readonly schema: string;
  readonly user: PackedVector;
  readonly candidates: PackedMatrix;
}

export const EMPTY_PACKED_VECTOR: PackedVector = Object.freeze({
  names: Object.freeze([]),
  values: new Float32Array(0),
  missing: new Uint8Array(0),
});

export const EMPTY_PACKED_MATRIX: PackedMatrix = Object.freeze({
  names: Object.freeze([]),
  rows: 0,
  values: new Float32Array(0),
  missing: new Uint8Array(0),
});

/** A message type nice-grpc can carry GetFeatures' response with (see `packedFeatureStoreDefinition`). */
export const PackedGetFeaturesResponse = messageType(
  encodeFeaturesResponse,
  decodeFeaturesResponse,
);

/**
 * FeatureStoreService as generated, except that GetFeatures answers with a
 * `PackedFeaturesResponse` (same wire format): a server made from it encodes the values in one
 * copy, a client made from it decodes them in one copy.
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

/** Field numbers of feature_store.proto, as tags. */
const TAG = {
  responseSchema: tagOf(1, LENGTH_DELIMITED),
  responseUser: tagOf(2, LENGTH_DELIMITED),
  responseCandidates: tagOf(3, LENGTH_DELIMITED),
  vectorNames: tagOf(1, LENGTH_DELIMITED),
  vectorValues: tagOf(2, LENGTH_DELIMITED),
  vectorValue: tagOf(2, FIXED32),
  vectorMissing: tagOf(3, LENGTH_DELIMITED),
  matrixNames: tagOf(1, LENGTH_DELIMITED),
  matrixRows: tagOf(2, VARINT),
  matrixValues: tagOf(3, LENGTH_DELIMITED),
  matrixValue: tagOf(3, FIXED32),
  matrixMissing: tagOf(4, LENGTH_DELIMITED),
} as const;

/**
 * The names of a column layout, encoded once per tag: a server answers every request with the
 * same names array, so this is a lookup after the first response.
 */
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
    for (const name of names) writer.stringField(tag, name);
    block = writer.toBuffer();
    byTag.set(tag, block);
  }
  return block;
}

/** A FeatureVector's fields, as the generated encoder writes them. */
export function writeVector(vector: PackedVector): Writer {
  const writer = new Writer();
  writer.raw(namesBlock(vector.names, TAG.vectorNames));
  writer.floatsField(TAG.vectorValues, vector.values);
  writer.bytesField(TAG.vectorMissing, vector.missing, true);
  return writer;
}

/** A FeatureMatrix's fields, as the generated encoder writes them. */
export function writeMatrix(matrix: PackedMatrix): Writer {
  const writer = new Writer();
  writer.raw(namesBlock(matrix.names, TAG.matrixNames));
  if (matrix.rows !== 0) writer.varintField(TAG.matrixRows, matrix.rows);
  writer.floatsField(TAG.matrixValues, matrix.values);
  writer.bytesField(TAG.matrixMissing, matrix.missing, true);
  return writer;
}

export function encodeFeaturesResponse(message: PackedFeaturesResponse): Uint8Array {
  const response = new Writer();
  response.stringField(TAG.responseSchema, message.schema, true);
  response.messageField(TAG.responseUser, writeVector(message.user));
  response.messageField(TAG.responseCandidates, writeMatrix(message.candidates));
  return response.toBuffer();
}

/**
 * Decodes a GetFeaturesResponse into Float32Arrays. Accepts what any encoder may send: packed
 * or unpacked floats, fields in any order, unknown fields (skipped). A response without user
 * or candidates gets empty ones.
 */
export function decodeFeaturesResponse(input: Uint8Array): PackedFeaturesResponse {
  const reader = Reader.of(input, 'GetFeaturesResponse');
  let schema = '';
  let user = EMPTY_PACKED_VECTOR;
  let candidates = EMPTY_PACKED_MATRIX;
  while (reader.more()) {
    const tag = reader.uint32();
    if (tag === TAG.responseSchema) schema = reader.string();
    else if (tag === TAG.responseUser)
      user = readVector(reader.message('GetFeaturesResponse.user'));
    else if (tag === TAG.responseCandidates)
      candidates = readMatrix(reader.message('GetFeaturesResponse.candidates'));
    else reader.skip(tag & 7);
  }
  return { schema, user, candidates };
}

export function readVector(reader: Reader): PackedVector {
  const names: string[] = [];
  const values = floats();
  let missing = new Uint8Array(0);
  while (reader.more()) {
    const tag = reader.uint32();
    if (tag === TAG.vectorNames) names.push(reader.string());
    else if (tag === TAG.vectorValues) values.packed(reader.bytes(), reader);
    else if (tag === TAG.vectorValue) values.single(reader.float());
    else if (tag === TAG.vectorMissing) missing = new Uint8Array(reader.bytes());
    else reader.skip(tag & 7);
  }
  return { names, values: values.values(), missing };
}

export function readMatrix(reader: Reader): PackedMatrix {
  const names: string[] = [];
  const values = floats();
  let rows = 0;
  let missing = new Uint8Array(0);
  while (reader.more()) {
    const tag = reader.uint32();
    if (tag === TAG.matrixNames) names.push(reader.string());
    else if (tag === TAG.matrixRows) rows = reader.uint32();
    else if (tag === TAG.matrixValues) values.packed(reader.bytes(), reader);
    else if (tag === TAG.matrixValue) values.single(reader.float());
    else if (tag === TAG.matrixMissing) missing = new Uint8Array(reader.bytes());
    else reader.skip(tag & 7);
  }
  return { names, rows, values: values.values(), missing };
}
