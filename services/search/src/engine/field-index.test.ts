import assert from 'node:assert/strict';
import { ByteBlockPool, SLICE_SIZES } from './byte-block-pool.js';
import { FieldIndex, PostingsBuffer } from './field-index.js';

describe('FieldIndex postings in the byte block pool', () => {
  it('reads back every posting, frequency and position across slices and pages', () => {
    const pool = new ByteBlockPool();
    const field = new FieldIndex(pool, true);
    const expected = new Map<string, { doc: number; positions: number[] }[]>();
    // Interleaved writes to many terms force chains of slices; big gaps force multi-byte varints.
    for (let doc = 0; doc < 3_000; doc += 1) {
      for (let t = 0; t < 40; t += 1) {
        if ((doc * 7 + t * 13) % (t + 2) !== 0) continue;
        const term = `t${t}`;
        const positions = Array.from({ length: 1 + ((doc + t) % 5) }, (_, i) => i * 300 + t);
        field.add(doc * 97, term, positions);
        const list = expected.get(term) ?? [];
        list.push({ doc: doc * 97, positions });
        expected.set(term, list);
      }
    }
    assert.ok(pool.allocatedBytes > 65_536, 'the test spans more than one page');
    for (const [term, list] of expected) {
      const cursor = field.postings(term);
      assert.ok(cursor);
      assert.equal(cursor.size, list.length);
      for (const posting of list) {
        assert.equal(cursor.next(), true);
        assert.equal(cursor.doc, posting.doc);
        assert.equal(cursor.freq, posting.positions.length);
        assert.deepEqual(cursor.positions(), posting.positions);
      }
      assert.equal(cursor.next(), false);
    }
  });

  it('skips unread positions and advances to a target document', () => {
    const field = new FieldIndex(new ByteBlockPool(), true);
    for (let doc = 0; doc < 100; doc += 2) field.add(doc, 'x', [1, 5, 9]);
    const cursor = field.postings('x');
    assert.ok(cursor);
    assert.equal(cursor.advance(51), true);
    assert.equal(cursor.doc, 52);
    assert.deepEqual(cursor.positions(), [1, 5, 9]);
    assert.equal(cursor.advance(1_000), false);
  });

  it('stores keyword postings as documents only and refuses out-of-order documents', () => {
    const field = new FieldIndex(new ByteBlockPool(), false);
    for (const doc of [3, 4, 1_000_000]) field.add(doc, 'cats');
    assert.deepEqual([...field.documents('cats')], [3, 4, 1_000_000]);
    assert.deepEqual([...field.documents('dogs')], []);
    assert.throws(() => field.add(4, 'cats'), RangeError);
  });

  it('keeps a term seen once in two small slices, documents and positions', () => {
    const pool = new ByteBlockPool();
    const field = new FieldIndex(pool, true);
    for (let t = 0; t < 3_000; t += 1) field.add(1, `rare${t}`, [0]);
    // 3,000 one-posting lists fit in the first 64 KiB page: two 8-byte slices each.
    assert.equal(pool.allocatedBytes, 65_536);
    assert.ok(3_000 * 2 * SLICE_SIZES[0] < 65_536);
  });

  it('decodes a whole list into reused buffers, as the scorer reads it', () => {
    const field = new FieldIndex(new ByteBlockPool(), true);
    const docs = Array.from({ length: 5_000 }, (_, i) => i * 3 + (i % 7) * 1_000_000);
    docs.sort((a, b) => a - b);
    docs.forEach((doc, i) =>
      field.add(
        doc,
        'x',
        Array.from({ length: 1 + (i % 4) }, (_, p) => p),
      ),
    );
    const buffer = new PostingsBuffer();
    const id = field.termId('x') ?? -1;
    assert.equal(field.readPostings(id, buffer), docs.length);
    assert.deepEqual([...buffer.docs.subarray(0, docs.length)], docs);
    assert.deepEqual(
      [...buffer.freqs.subarray(0, docs.length)],
      docs.map((_, i) => 1 + (i % 4)),
    );
  });
});
