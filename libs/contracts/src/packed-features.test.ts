import assert from 'node:assert/strict';
import { featuresv1 } from './index.js';
import {
  decodeFeaturesResponse,
  encodeFeaturesResponse,
  packedFeatureStoreDefinition,
  type PackedFeaturesResponse,
} from './packed-features.js';

const packed: PackedFeaturesResponse = {
  schema: 'fs-0123456789abcdef',
  user: {
    names: ['user.a', 'user.b', 'user.ü'],
    values: Float32Array.of(1.5, -2, 0.1),
    missing: Uint8Array.of(0b010),
  },
  candidates: {
    names: ['post.a', 'blog.b'],
    rows: 3,
    values: Float32Array.of(1, 2, 3, 4, 5, Math.fround(1e-7)),
    missing: Uint8Array.of(0b100001),
  },
};

/** The same message as the generated types carry it. */
const generated: featuresv1.GetFeaturesResponse = {
  schema: packed.schema,
  user: {
    names: [...packed.user.names],
    values: Array.from(packed.user.values),
    missing: Buffer.from(packed.user.missing),
  },
  candidates: {
    names: [...packed.candidates.names],
    rows: 3,
    values: Array.from(packed.candidates.values),
    missing: Buffer.from(packed.candidates.missing),
  },
};

const float = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeFloatLE(value);
  return [...bytes];
};

describe('GetFeaturesResponse, packed', () => {
  it('encodes exactly the bytes the generated encoder writes', () => {
    const expected = featuresv1.GetFeaturesResponse.encode(generated).finish();
    assert.deepEqual(Buffer.from(encodeFeaturesResponse(packed)), Buffer.from(expected));
  });

  it('encodes the same names array twice to the same bytes (the names are cached)', () => {
    const first = Buffer.from(encodeFeaturesResponse(packed));
    assert.deepEqual(Buffer.from(encodeFeaturesResponse(packed)), first);
  });

  it('encodes empty values and masks as proto3 does, and any client decodes it', () => {
    const empty: PackedFeaturesResponse = {
      schema: '',
      user: { names: ['user.a'], values: new Float32Array(0), missing: new Uint8Array(0) },
      candidates: {
        names: ['post.a'],
        rows: 0,
        values: new Float32Array(0),
        missing: new Uint8Array(0),
      },
    };
    const bytes = encodeFeaturesResponse(empty);
    const decoded = featuresv1.GetFeaturesResponse.decode(bytes);
    assert.deepEqual(decoded.candidates, {
      names: ['post.a'],
      rows: 0,
      values: [],
      missing: Buffer.alloc(0),
    });
    assert.deepEqual(
      Buffer.from(bytes),
      Buffer.from(
        featuresv1.GetFeaturesResponse.encode(
          featuresv1.GetFeaturesResponse.fromPartial({
            user: { names: ['user.a'] },
            candidates: { names: ['post.a'] },
          }),
        ).finish(),
      ),
    );
  });

  it('decodes what the generated encoder writes into Float32Arrays', () => {
    const decoded = decodeFeaturesResponse(
      featuresv1.GetFeaturesResponse.encode(generated).finish(),
    );
    assert.deepEqual(decoded, packed);
  });

  it('decodes a response without user or candidates into empty ones', () => {
    const decoded = decodeFeaturesResponse(
      featuresv1.GetFeaturesResponse.encode({
        schema: 's',
        user: undefined,
        candidates: undefined,
      }).finish(),
    );
    assert.equal(decoded.schema, 's');
    assert.equal(decoded.candidates.rows, 0);
    assert.equal(decoded.candidates.values.length, 0);
    assert.deepEqual(decoded.user.names, []);
  });

  it('decodes values at an odd byte offset (the wire bytes need not be aligned)', () => {
    const bytes = featuresv1.GetFeaturesResponse.encode(generated).finish();
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    assert.deepEqual(decodeFeaturesResponse(shifted.subarray(1)), packed);
  });

  it('decodes unpacked floats and skips fields it does not know', () => {
    const name = [...Buffer.from('post.a')];
    const ignored = [...Buffer.from('ignored')];
    const matrix = [
      (1 << 3) | 2,
      name.length,
      ...name,
      (2 << 3) | 0,
      2,
      (3 << 3) | 5,
      ...float(1.25),
      (3 << 3) | 5,
      ...float(-3),
      (7 << 3) | 2,
      ignored.length,
      ...ignored,
      (8 << 3) | 1,
      ...new Array<number>(8).fill(0),
      (9 << 3) | 5,
      ...float(7),
    ];
    // An unknown varint field (99: a two-byte tag), then the matrix.
    const bytes = Uint8Array.from([0x98, 0x06, 7, (3 << 3) | 2, matrix.length, ...matrix]);
    const decoded = decodeFeaturesResponse(bytes);
    assert.deepEqual(decoded.candidates.names, ['post.a']);
    assert.equal(decoded.candidates.rows, 2);
    assert.deepEqual(Array.from(decoded.candidates.values), [1.25, -3]);
  });

  it('joins packed chunks and single floats in their order', () => {
    const chunk = [...float(1), ...float(2)];
    const vector = [(2 << 3) | 2, chunk.length, ...chunk, (2 << 3) | 5, ...float(3)];
    const bytes = Uint8Array.from([(2 << 3) | 2, vector.length, ...vector]);
    assert.deepEqual(Array.from(decodeFeaturesResponse(bytes).user.values), [1, 2, 3]);
  });

  it('refuses truncated bytes rather than inventing values, naming the message', () => {
    const bytes = encodeFeaturesResponse(packed);
    assert.throws(
      () => decodeFeaturesResponse(bytes.subarray(0, bytes.length - 3)),
      /^Error: GetFeaturesResponse: truncated/,
    );
  });

  it('refuses a packed float field whose length is not a multiple of 4', () => {
    const vector = [(2 << 3) | 2, 3, 0, 0, 0];
    const bytes = Uint8Array.from([(2 << 3) | 2, vector.length, ...vector]);
    assert.throws(
      () => decodeFeaturesResponse(bytes),
      /GetFeaturesResponse.user: packed field of 3 bytes/,
    );
  });

  it('serves GetFeatures with the packed response type and nothing else changed', () => {
    const { getFeatures, getUserFeatures } = packedFeatureStoreDefinition.methods;
    assert.equal(getFeatures.responseType.decode, decodeFeaturesResponse);
    assert.equal(getFeatures.requestType, featuresv1.GetFeaturesRequest);
    assert.equal(getUserFeatures, featuresv1.FeatureStoreServiceDefinition.methods.getUserFeatures);
    assert.equal(
      packedFeatureStoreDefinition.fullName,
      featuresv1.FeatureStoreServiceDefinition.fullName,
    );
  });
});
