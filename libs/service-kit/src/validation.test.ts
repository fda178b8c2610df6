import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { requireEnum, requireId, requireIds, requirePageSize, requireText } from './validation.js';

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError);
    return error.field;
  }
  assert.fail('expected an InvalidArgumentError');
}

describe('request validation', () => {
  it('accepts well-formed ids and rejects empty, over-long and odd ones, naming the field', () => {
    assert.equal(requireId('user:42', 'user_id'), 'user:42');
    assert.equal(
      fieldOf(() => requireId('', 'user_id')),
      'user_id',
    );
    assert.equal(
      fieldOf(() => requireId('x'.repeat(65), 'user_id')),
      'user_id',
    );
    assert.equal(
      fieldOf(() => requireId('a b', 'user_id')),
      'user_id',
    );
  });

  it('names the index of a bad id in a list', () => {
    assert.equal(
      fieldOf(() => requireIds(['p1', '', 'p3'], 'post_ids', 10)),
      'post_ids[1]',
    );
    assert.equal(
      fieldOf(() => requireIds(['a', 'b', 'c'], 'post_ids', 2)),
      'post_ids',
    );
  });

  it('rejects a page size of 0 and over the limit', () => {
    assert.equal(requirePageSize(20, 'page_size'), 20);
    assert.equal(
      fieldOf(() => requirePageSize(0, 'page_size')),
      'page_size',
    );
    assert.equal(
      fieldOf(() => requirePageSize(101, 'page_size')),
      'page_size',
    );
  });

  it('rejects unknown and unset enum values', () => {
    assert.equal(requireEnum(2, commonv1.Surface, 'surface'), 2);
    assert.equal(requireEnum(0, commonv1.Surface, 'surface', { allowUnspecified: true }), 0);
    assert.equal(
      fieldOf(() => requireEnum(0, commonv1.Surface, 'surface')),
      'surface',
    );
    assert.equal(
      fieldOf(() => requireEnum(99, commonv1.Surface, 'surface')),
      'surface',
    );
    assert.equal(
      fieldOf(() => requireEnum(-1, commonv1.Surface, 'surface')),
      'surface',
    );
  });

  it('bounds text length', () => {
    assert.equal(
      fieldOf(() => requireText('', 'query', { min: 1, max: 512 })),
      'query',
    );
    assert.equal(
      fieldOf(() => requireText('q'.repeat(513), 'query', { min: 1, max: 512 })),
      'query',
    );
  });
});
