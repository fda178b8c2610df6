import assert from 'node:assert/strict';
import { EnglishAnalyzer } from './analyzer.js';
import { parseQueryText } from './query-parser.js';

const analyzer = new EnglishAnalyzer();
const parse = (text: string) => parseQueryText(text, analyzer);

describe('parseQueryText', () => {
  it('reads words, a quoted phrase, #tag and blog: filters', () => {
    const parsed = parse('running dogs "red panda" #Cute blog:Zoo-Daily');
    assert.deepEqual(parsed.terms, ['run', 'dog']);
    assert.deepEqual(parsed.phrases, [{ terms: ['red', 'panda'], offsets: [0, 1] }]);
    assert.deepEqual(parsed.tags, ['cute']);
    assert.deepEqual(parsed.blogs, ['Zoo-Daily']);
  });

  it('gives each #tag the other keys a canonicalizer names for it, from what was typed', () => {
    const typed: string[] = [];
    const canonicalTag = (raw: string) => {
      typed.push(raw);
      return raw.toLowerCase().replace(/^#/, '').replace(/s$/, '');
    };
    const parsed = parseQueryText('#Cats, #dog #cats', analyzer, { canonicalTag });
    assert.deepEqual(parsed.tags, ['cats', 'dog']);
    assert.deepEqual([...(parsed.tagAlternatives ?? [])], [['cats', ['cat']]]);
    assert.deepEqual(typed, ['#Cats', '#dog', '#cats']);
  });

  it('keeps the gap a stop word leaves inside a phrase', () => {
    assert.deepEqual(parse('"cats of the world"').phrases, [
      { terms: ['cat', 'world'], offsets: [0, 3] },
    ]);
  });

  it('reads a dangling quote as a word boundary', () => {
    const parsed = parse('"red panda" "sleeping');
    assert.deepEqual(parsed.phrases, [{ terms: ['red', 'panda'], offsets: [0, 1] }]);
    assert.deepEqual(parsed.terms, ['sleep']);
    assert.deepEqual(parse('cats" dogs').terms, ['cat', 'dog']);
  });

  it('reads curly quotes as quotes', () => {
    assert.equal(parse('“red panda”').phrases.length, 1);
  });

  it('has no clauses when the query is only stop words', () => {
    const parsed = parse('the "of the" and');
    assert.deepEqual(parsed.terms, []);
    assert.deepEqual(parsed.phrases, []);
  });

  it('drops trailing punctuation from filters and ignores a lone #', () => {
    const parsed = parse('#cats, # blog:zoo.');
    assert.deepEqual(parsed.tags, ['cats']);
    assert.deepEqual(parsed.blogs, ['zoo']);
  });
});
