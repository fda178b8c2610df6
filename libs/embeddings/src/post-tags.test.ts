import assert from 'node:assert/strict';
import { normalizeTag, normalizeTags } from './post-tags.js';

describe('normalizeTag', () => {
  it('names a tag one way whatever its case or leading "#"', () => {
    assert.equal(normalizeTag('  #Cats '), 'cats');
    assert.equal(normalizeTag('##cats'), 'cats');
  });

  it('names a tag one way whatever its Unicode spelling', () => {
    // Composed and decomposed accents (macOS keyboards send the second).
    assert.equal(normalizeTag('cafe\u0301'), 'café');
    assert.equal(normalizeTag('Café'), 'café');
    // Full-width letters and "#" (Japanese and Chinese input methods).
    assert.equal(normalizeTag('＃ＣＡＴＳ'), 'cats');
    // Invisible characters pasted with a tag: zero-width space, BOM, direction marks, soft hyphen.
    assert.equal(normalizeTag('cats\u200b'), 'cats');
    assert.equal(normalizeTag('\ufeff#cats'), 'cats');
    assert.equal(normalizeTag('\u200fأخبار\u200f'), 'أخبار');
    assert.equal(normalizeTag('photo\u00adgraphy'), 'photography');
    // A dotted capital I lower-cases to i and a combining dot: it is an i.
    assert.equal(normalizeTag('İstanbul'), 'istanbul');
    // Runs of spaces are one space.
    assert.equal(normalizeTag('cute \u00a0 cats'), 'cute cats');
  });

  it('keeps the joiners that spell emoji and Persian words', () => {
    assert.equal(normalizeTag('می\u200cخواهم'), 'می\u200cخواهم');
    assert.equal(normalizeTag('👩\u200d💻'), '👩\u200d💻');
  });

  it('lists a post’s tags once each, in their first order, without empty ones', () => {
    assert.deepEqual(normalizeTags(['Café', 'cafe\u0301', '#', '\u200b', 'cats', 'CATS\u200b']), [
      'café',
      'cats',
    ]);
  });
});
