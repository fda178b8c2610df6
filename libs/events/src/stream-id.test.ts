import assert from 'node:assert/strict';
import { compareStreamIds, isStreamId } from './stream-id.js';

describe('compareStreamIds', function () {
  it('orders by the milliseconds as numbers, not as text', function () {
    assert.ok(compareStreamIds('9-0', '10-0') < 0);
    assert.ok(compareStreamIds('10-0', '9-5') > 0);
  });

  it('orders ids of one millisecond by their sequence as numbers', function () {
    assert.ok(compareStreamIds('1700000000000-9', '1700000000000-10') < 0);
    assert.equal(compareStreamIds('1700000000000-10', '1700000000000-10'), 0);
  });

  it('tells apart sequences too large for a double', function () {
    assert.ok(compareStreamIds('1-18446744073709551614', '1-18446744073709551615') < 0);
  });
});

describe('isStreamId', function () {
  it('takes ms-seq with both parts unsigned integers, and nothing else', function () {
    assert.equal(isStreamId('0-0'), true);
    assert.equal(isStreamId('1700000000000-3'), true);
    for (const text of ['', '5', '1-', '-1', '1-2-3', 'a-1', '1.5-0', ' 1-0'])
      assert.equal(isStreamId(text), false, text);
  });
});
