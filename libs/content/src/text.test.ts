import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { detectLanguage } from './language.js';
import { findLinks, shingles, terms, words } from './text.js';

describe('text', () => {
  it('splits words, lower-cased, without links or apostrophes', () => {
    assert.deepEqual(words("Don't miss https://x.example/a?b=1 THIS, ok"), [
      'dont',
      'miss',
      'this',
      'ok',
    ]);
  });

  it('finds http(s) and www links', () => {
    assert.deepEqual(findLinks('see https://a.example/x and www.b.example, not c.example'), [
      'https://a.example/x',
      'www.b.example,',
    ]);
  });

  it('indexes stems without stopwords or bare numbers, keeping years', () => {
    assert.deepEqual(
      terms('The cats were running in 1995 with 3 dogs').map((t) => t.term),
      ['cat', 'run', '1995', 'dog'],
    );
    assert.equal(terms('Running')[0]!.word, 'running');
  });

  it('shingles a text into overlapping word triples', () => {
    assert.deepEqual(shingles('a b c d'), ['a b c', 'b c d']);
    assert.deepEqual(shingles('short text'), ['short text']);
    assert.deepEqual(shingles(''), []);
  });

  it('detects English and French, and says "und" for a text too short to tell', () => {
    assert.equal(
      detectLanguage('This is a simple post about my cat and the garden in spring'),
      'eng',
    );
    assert.equal(
      detectLanguage('Ceci est un message sur mon chat et le jardin au printemps'),
      'fra',
    );
    assert.equal(detectLanguage('cat'), 'und');
  });
});
