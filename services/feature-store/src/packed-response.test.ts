import assert from 'node:assert/strict';
import {
  decodeFeaturesResponse,
  encodeFeaturesResponse,
  featuresv1,
  packedFeatureStoreDefinition,
  type PackedFeaturesResponse,
  type PackedMatrix,
  type PackedVector,
} from '@feedmesh/contracts';

// The codec itself is tested in libs/contracts; this checks what the feature store relies on.
describe('GetFeaturesResponse, packed (as the feature store serves it)', () => {
  const user: PackedVector = {
    names: ['user.a'],
    values: Float32Array.of(0.5),
    missing: new Uint8Array(0),
  };
  const candidates: PackedMatrix = {
    names: ['post.a', 'blog.b'],
    rows: 2,
    values: Float32Array.of(1, 2, 3, Math.fround(0.1)),
    missing: Uint8Array.of(0b0100),
  };
  const response: PackedFeaturesResponse = { schema: 'fs-1', user, candidates };

  it('takes the store’s own matrices and any client decodes them with the generated code', () => {
    const decoded = featuresv1.GetFeaturesResponse.decode(encodeFeaturesResponse(response));
    assert.deepEqual(decoded.candidates?.values, Array.from(candidates.values));
    assert.equal(decoded.candidates?.rows, 2);
    assert.deepEqual(decoded.user?.names, ['user.a']);
    assert.deepEqual(decodeFeaturesResponse(encodeFeaturesResponse(response)), response);
  });

  it('answers GetFeatures through the packed codec', () => {
    const method = packedFeatureStoreDefinition.methods.getFeatures;
    assert.equal(method.responseType.decode, decodeFeaturesResponse);
    assert.deepEqual(
      Buffer.from(method.responseType.encode(response).finish()),
      Buffer.from(encodeFeaturesResponse(response)),
    );
  });
});
