import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { DocumentFrequencies } from './document-frequencies.js';
import { extractKeywords } from './keywords.js';
import { terms } from './text.js';

describe('extractKeywords', () => {
  const df = new DocumentFrequencies();
  for (const text of [
    'my day at the park',
    'a great day with friends',
    'coffee and a good day',
    'sourdough bread baking day',
  ]) {
    df.add(terms(text).map((t) => t.term));
  }

  it('weighs a term rare in the corpus above a common one', () => {
    const keywords = extractKeywords('Sourdough baking day, baking day', df, 3);
    assert.deepEqual(
      keywords.map((k) => k.term),
      ['bake', 'sourdough', 'dai'],
    );
    assert.equal(keywords[0]!.word, 'baking');
    assert.ok(keywords.every((k, i) => i === 0 || k.weight <= keywords[i - 1]!.weight));
  });

  it('ranks by term frequency alone without corpus statistics', () => {
    const keywords = extractKeywords('cats cats cats and a dog', new DocumentFrequencies());
    assert.deepEqual(
      keywords.map((k) => k.term),
      ['cat', 'dog'],
    );
  });

  it('gives a French post its French words, not its articles, against an English corpus', () => {
    const keywords = extractKeywords(
      'La recette de la tarte aux pommes de ma grand-mère, avec des pommes du jardin',
      df,
      4,
    );
    assert.deepEqual(
      keywords.map((k) => k.word),
      ['pommes', 'grand', 'jardin', 'mère'],
    );
  });

  it('returns nothing for a text of stopwords', () => {
    assert.deepEqual(extractKeywords('and the of a', df), []);
  });

  it('round-trips document frequencies through JSON, dropping rare terms on request', () => {
    const copy = DocumentFrequencies.fromJSON(JSON.parse(JSON.stringify(df.toJSON(2))));
    assert.equal(copy.documents, 4);
    assert.equal(copy.frequency(terms('day')[0]!.term), 4);
    assert.equal(copy.frequency('coffe'), 0);
  });
});
