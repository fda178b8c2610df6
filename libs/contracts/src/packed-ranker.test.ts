import assert from 'node:assert/strict';
import { rankerv1 } from './index.js';
import {
  decodeRankRequest,
  decodeRankResponse,
  encodeRankRequest,
  encodeRankResponse,
  packedRankerDefinition,
  type PackedRankRequest,
  type PackedRankResponse,
} from './packed-ranker.js';

const packedRequest: PackedRankRequest = {
  model: 'feed',
  modelVersion: 'v7',
  user: {
    names: ['user.a', 'user.b'],
    values: Float32Array.of(0.25, -1),
    missing: Uint8Array.of(0b10),
  },
  candidates: {
    names: ['post.a', 'blog.b', 'user_tag.c'],
    rows: 2,
    values: Float32Array.of(1, 2, 3, Math.fround(0.1), -5, Math.fround(1e30)),
    missing: new Uint8Array(0),
  },
  weights: [
    { objective: rankerv1.Objective.OBJECTIVE_LIKE, weight: 1 },
    { objective: rankerv1.Objective.OBJECTIVE_HIDE, weight: -2.5 },
  ],
};

const generatedRequest: rankerv1.RankRequest = {
  model: packedRequest.model,
  modelVersion: packedRequest.modelVersion,
  user: {
    names: [...packedRequest.user!.names],
    values: Array.from(packedRequest.user!.values),
    missing: Buffer.from(packedRequest.user!.missing),
  },
  candidates: {
    names: [...packedRequest.candidates!.names],
    rows: 2,
    values: Array.from(packedRequest.candidates!.values),
    missing: Buffer.alloc(0),
  },
  weights: packedRequest.weights.map((w) => ({ ...w })),
};

const packedResponse: PackedRankResponse = {
  model: 'feed',
  modelVersion: 'v7',
  objectives: [rankerv1.Objective.OBJECTIVE_LIKE, rankerv1.Objective.OBJECTIVE_HIDE],
  probabilities: Float32Array.of(0.5, 0.25, Math.fround(0.3), 0),
  values: Float64Array.of(0.1 + 0.2, -1e-300),
};

const generatedResponse: rankerv1.RankResponse = {
  model: 'feed',
  modelVersion: 'v7',
  objectives: [...packedResponse.objectives],
  probabilities: Array.from(packedResponse.probabilities),
  values: Array.from(packedResponse.values),
};

const bytesOf = (bytes: Uint8Array) => Buffer.from(bytes);

describe('RankRequest, packed', () => {
  it('encodes exactly the bytes the generated encoder writes', () => {
    assert.deepEqual(
      bytesOf(encodeRankRequest(packedRequest)),
      bytesOf(rankerv1.RankRequest.encode(generatedRequest).finish()),
    );
  });

  it('leaves out what proto3 leaves out: empty strings, absent user and candidates', () => {
    const bare: PackedRankRequest = {
      model: '',
      modelVersion: '',
      user: undefined,
      candidates: undefined,
      weights: [],
    };
    assert.equal(encodeRankRequest(bare).length, 0);
  });

  it('decodes what the generated encoder writes into Float32Arrays', () => {
    const decoded = decodeRankRequest(rankerv1.RankRequest.encode(generatedRequest).finish());
    assert.deepEqual(decoded, packedRequest);
  });

  it('decodes an empty request as the generated decoder does (no user, no candidates)', () => {
    assert.deepEqual(decodeRankRequest(new Uint8Array(0)), {
      model: '',
      modelVersion: '',
      user: undefined,
      candidates: undefined,
      weights: [],
    });
  });

  it('refuses truncated bytes, naming the message', () => {
    const bytes = encodeRankRequest(packedRequest);
    assert.throws(
      () => decodeRankRequest(bytes.subarray(0, bytes.length - 20)),
      /^Error: RankRequest/,
    );
  });
});

describe('RankResponse, packed', () => {
  it('encodes exactly the bytes the generated encoder writes', () => {
    assert.deepEqual(
      bytesOf(encodeRankResponse(packedResponse)),
      bytesOf(rankerv1.RankResponse.encode(generatedResponse).finish()),
    );
  });

  it('writes a negative enum value in ten bytes, as the generated encoder does', () => {
    const odd = { ...packedResponse, objectives: [rankerv1.Objective.UNRECOGNIZED, 3] };
    const bytes = encodeRankResponse(odd);
    assert.deepEqual(
      bytesOf(bytes),
      bytesOf(
        rankerv1.RankResponse.encode({
          ...generatedResponse,
          objectives: [...odd.objectives],
        }).finish(),
      ),
    );
    assert.deepEqual(decodeRankResponse(bytes).objectives, [-1, 3]);
  });

  it('decodes what the generated encoder writes into typed arrays', () => {
    const decoded = decodeRankResponse(rankerv1.RankResponse.encode(generatedResponse).finish());
    assert.deepEqual(decoded, packedResponse);
  });

  it('decodes unpacked objectives, probabilities and values', () => {
    const double = (value: number) => {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(value);
      return [...bytes];
    };
    const float = (value: number) => {
      const bytes = Buffer.alloc(4);
      bytes.writeFloatLE(value);
      return [...bytes];
    };
    const bytes = Uint8Array.from([
      (3 << 3) | 0,
      2,
      (4 << 3) | 5,
      ...float(0.5),
      (5 << 3) | 1,
      ...double(-7.25),
      (5 << 3) | 1,
      ...double(3),
    ]);
    const decoded = decodeRankResponse(bytes);
    assert.deepEqual(decoded.objectives, [2]);
    assert.deepEqual(Array.from(decoded.probabilities), [0.5]);
    assert.deepEqual(Array.from(decoded.values), [-7.25, 3]);
  });

  it('refuses a packed double field whose length is not a multiple of 8', () => {
    const bytes = Uint8Array.from([(5 << 3) | 2, 4, 0, 0, 0, 0]);
    assert.throws(() => decodeRankResponse(bytes), /RankResponse: packed field of 4 bytes/);
  });
});

describe('packedRankerDefinition', () => {
  it('carries Rank in the packed types and leaves ListModels as generated', () => {
    const { rank, listModels } = packedRankerDefinition.methods;
    assert.equal(rank.requestType.decode, decodeRankRequest);
    assert.equal(rank.responseType.decode, decodeRankResponse);
    assert.equal(rank.options, rankerv1.RankerServiceDefinition.methods.rank.options);
    assert.equal(listModels, rankerv1.RankerServiceDefinition.methods.listModels);
  });
});
