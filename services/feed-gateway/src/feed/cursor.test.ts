import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { CursorCodec } from './cursor.js';

const SECRET = Buffer.from('a-test-secret-of-some-length');
const EXPECTED = { userId: 'u1', surface: 1, tag: '' };

/** A cursor body signed as the codec signs one (HMAC-SHA256, its first 16 bytes). */
function signed(body: object): string {
  const bytes = Buffer.from(JSON.stringify(body));
  const mac = createHmac('sha256', SECRET).update(bytes).digest().subarray(0, 16);
  return `${bytes.toString('base64url')}.${mac.toString('base64url')}`;
}

describe('CursorCodec', () => {
  const codec = new CursorCodec(SECRET);

  it('gives back the position and the served ids, roots included, that it encoded', () => {
    const cursor = codec.encode({ ...EXPECTED, position: 20, served: ['R', 'X', 'Y'] });
    assert.deepEqual(codec.decode(cursor, EXPECTED), {
      ...EXPECTED,
      position: 20,
      served: ['R', 'X', 'Y'],
    });
  });

  it('accepts a cursor issued before it carried served ids (hashes, `h`), with none served', () => {
    const cursor = signed({ u: 'u1', s: 1, t: '', p: 40, h: [123456789, 987654321] });
    assert.deepEqual(codec.decode(cursor, EXPECTED), {
      ...EXPECTED,
      position: 40,
      served: [],
    });
  });

  it('refuses a cursor signed with another secret, naming the field', () => {
    const other = new CursorCodec(Buffer.from('another-secret-of-some-length'));
    const cursor = other.encode({ ...EXPECTED, position: 20, served: [] });
    assert.throws(
      () => codec.decode(cursor, EXPECTED),
      (error: Error) => /^cursor: was not issued by this feed/.test(error.message),
    );
  });
});
