import assert from 'node:assert/strict';
import { isMissing, setMissing } from './missing-bits.js';

describe('missing-value bitsets', () => {
  it('reads bit i from byte i/8, least significant bit first', () => {
    const bits = Uint8Array.of(0b0000_0101, 0b1000_0000);
    assert.deepEqual(
      Array.from({ length: 16 }, (_, i) => isMissing(bits, i)),
      [true, false, true, ...Array(12).fill(false), true],
    );
  });

  it('reads past the end of a short bitset, or of none, as not missing', () => {
    assert.equal(isMissing(Uint8Array.of(0xff), 8), false);
    assert.equal(isMissing(undefined, 0), false);
  });

  it('sets a bit without touching its neighbours', () => {
    const bits = new Uint8Array(2);
    setMissing(bits, 9);
    setMissing(bits, 0);
    assert.deepEqual(Array.from(bits), [0b1, 0b10]);
  });
});
