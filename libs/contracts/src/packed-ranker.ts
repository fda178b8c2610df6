import * as rankerv1 from './gen/feedmesh/ranker/v1/ranker.js';
import {
  readMatrix,
  readVector,
  writeMatrix,
  writeVector,
  type PackedMatrix,
  type PackedVector,
} from './packed-features.js';
import {
  doubles,
  FIXED32,
  FIXED64,
  floats,
  LENGTH_DELIMITED,
  messageType,
  Reader,
  tagOf,
  VARINT,
  Writer,
} from './packed-wire.js';

/**
 * RankRequest with its feature values as Float32Arrays: the gateway passes on the matrix
 * GetFeatures answered with (packed-features.ts) in one copy, and the ranker reads it in one.
 * The bytes are the same message as the generated code's.
 */
export interface PackedRankRequest {
  readonly model: string;
  readonly modelVersion: string;
  readonly user: PackedVector | undefined;
  readonly candidates: PackedMatrix | undefined;
  readonly weights: readonly rankerv1.ObjectiveWeight[];
}

/** RankResponse with its numbers as typed arrays (the scorer's own output). */
export interface PackedRankResponse {
  readonly model: string;
  readonly modelVersion: string;
  readonly objectives: readonly rankerv1.Objective[];
  readonly probabilities: Float32Array;
  readonly values: Float64Array;
}

export const PackedRankRequest = messageType(encodeRankRequest, decodeRankRequest);

export const PackedRankResponse = messageType(encodeRankResponse, decodeRankResponse);

/**
 * RankerService as generated, except that Rank's request and response are the packed types
 * (same wire format). The gateway's client and the ranker's server are made from it; any
 * other client or server of the generated definition talks to them unchanged.
 */
export const packedRankerDefinition = {
  ...rankerv1.RankerServiceDefinition,
  methods: {
    ...rankerv1.RankerServiceDefinition.methods,
    rank: {
      ...rankerv1.RankerServiceDefinition.methods.rank,
      requestType: PackedRankRequest,
      responseType: PackedRankResponse,
    },
  },
} as const;

/** Field numbers of ranker.proto, as tags. */
const TAG = {
  model: tagOf(1, LENGTH_DELIMITED),
  modelVersion: tagOf(2, LENGTH_DELIMITED),
  requestUser: tagOf(3, LENGTH_DELIMITED),
  requestCandidates: tagOf(4, LENGTH_DELIMITED),
  requestWeights: tagOf(5, LENGTH_DELIMITED),
  objectives: tagOf(3, LENGTH_DELIMITED),
  objective: tagOf(3, VARINT),
  probabilities: tagOf(4, LENGTH_DELIMITED),
  probability: tagOf(4, FIXED32),
  values: tagOf(5, LENGTH_DELIMITED),
  value: tagOf(5, FIXED64),
} as const;

export function encodeRankRequest(message: PackedRankRequest): Uint8Array {
  const writer = new Writer();
  writer.stringField(TAG.model, message.model, true);
  writer.stringField(TAG.modelVersion, message.modelVersion, true);
  if (message.user !== undefined) writer.messageField(TAG.requestUser, writeVector(message.user));
  if (message.candidates !== undefined)
    writer.messageField(TAG.requestCandidates, writeMatrix(message.candidates));
  // A few weights at most: the generated encoder writes them.
  for (const weight of message.weights)
    writer.bytesField(TAG.requestWeights, rankerv1.ObjectiveWeight.encode(weight).finish());
  return writer.toBuffer();
}

/** Decodes a RankRequest into Float32Arrays; accepts what any encoder may send. */
export function decodeRankRequest(input: Uint8Array): PackedRankRequest {
  const reader = Reader.of(input, 'RankRequest');
  let model = '';
  let modelVersion = '';
  let user: PackedVector | undefined;
  let candidates: PackedMatrix | undefined;
  const weights: rankerv1.ObjectiveWeight[] = [];
  while (reader.more()) {
    const tag = reader.uint32();
    if (tag === TAG.model) model = reader.string();
    else if (tag === TAG.modelVersion) modelVersion = reader.string();
    else if (tag === TAG.requestUser) user = readVector(reader.message('RankRequest.user'));
    else if (tag === TAG.requestCandidates)
      candidates = readMatrix(reader.message('RankRequest.candidates'));
    else if (tag === TAG.requestWeights)
      weights.push(rankerv1.ObjectiveWeight.decode(reader.bytes()));
    else reader.skip(tag & 7);
  }
  return { model, modelVersion, user, candidates, weights };
}

export function encodeRankResponse(message: PackedRankResponse): Uint8Array {
  const writer = new Writer();
  writer.stringField(TAG.model, message.model, true);
  writer.stringField(TAG.modelVersion, message.modelVersion, true);
  if (message.objectives.length !== 0) {
    const objectives = new Writer();
    for (const objective of message.objectives) objectives.int32(objective);
    writer.messageField(TAG.objectives, objectives);
  }
  writer.floatsField(TAG.probabilities, message.probabilities);
  writer.doublesField(TAG.values, message.values);
  return writer.toBuffer();
}

/** Decodes a RankResponse into typed arrays; accepts what any encoder may send. */
export function decodeRankResponse(input: Uint8Array): PackedRankResponse {
  const reader = Reader.of(input, 'RankResponse');
  let model = '';
  let modelVersion = '';
  const objectives: rankerv1.Objective[] = [];
  const probabilities = floats();
  const values = doubles();
  while (reader.more()) {
    const tag = reader.uint32();
    if (tag === TAG.model) model = reader.string();
    else if (tag === TAG.modelVersion) modelVersion = reader.string();
    else if (tag === TAG.objectives) {
      const packed = reader.message('RankResponse.objectives');
      while (packed.more()) objectives.push(packed.int32());
    } else if (tag === TAG.objective) objectives.push(reader.int32());
    else if (tag === TAG.probabilities) probabilities.packed(reader.bytes(), reader);
    else if (tag === TAG.probability) probabilities.single(reader.float());
    else if (tag === TAG.values) values.packed(reader.bytes(), reader);
    else if (tag === TAG.value) values.single(reader.double());
    else reader.skip(tag & 7);
  }
  return {
    model,
    modelVersion,
    objectives,
    probabilities: probabilities.values(),
    values: values.values(),
  };
}
