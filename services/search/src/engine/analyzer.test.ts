import assert from 'node:assert/strict';
import { EnglishAnalyzer, normalizeKeyword } from './analyzer.js';

const analyzer = new EnglishAnalyzer();
const terms = (text: string) => analyzer.analyze(text).map((t) => t.term);

describe('EnglishAnalyzer', () => {
  it('stems inflections to one term (Porter2)', () => {
    assert.deepEqual(terms('running runs run'), ['run', 'run', 'run']);
    assert.deepEqual(terms('Kittens skies'), ['kitten', 'sky']);
  });

  it('drops stop words but keeps their positions for phrases', () => {
    const tokens = analyzer.analyze('cats of the world');
    assert.deepEqual(
      tokens.map((t) => [t.term, t.position]),
      [
        ['cat', 0],
        ['world', 3],
      ],
    );
    assert.deepEqual(terms('to be or not to be'), []);
  });

  it('keeps hashtags and mentions whole and also yields their words', () => {
    assert.deepEqual(terms('love #CuteCats from @alice'), [
      'love',
      '#cutecats',
      'cutecat',
      '@alice',
      'alic',
    ]);
    const [hashtag, word] = analyzer.analyze('#cats');
    assert.equal(hashtag?.position, word?.position);
  });

  it('folds case, width and Latin accents so café meets cafe', () => {
    assert.deepEqual(terms('Café NAÏVE ＦＵＬＬ'), ['cafe', 'naiv', 'full']);
  });

  it('finds words in Chinese and Japanese text with UTF-16 offsets into the original', () => {
    const text = 'I ♥ 我喜欢猫 and 日本語のテキスト 🐈';
    const tokens = analyzer.analyze(text);
    const words = tokens.map((t) => text.slice(t.start, t.end));
    assert.ok(words.includes('猫'));
    assert.ok(words.includes('テキスト'));
    for (const token of tokens) assert.ok(token.end > token.start);
  });

  it('reports offsets that cover the source word, sigil included', () => {
    const text = 'Hello #World';
    const [hello, hashtag] = analyzer.analyze(text);
    assert.equal(text.slice(hello?.start, hello?.end), 'Hello');
    assert.equal(text.slice(hashtag?.start, hashtag?.end), '#World');
  });
});

describe('normalizeKeyword', () => {
  it('strips the #, folds case and accents and collapses spaces', () => {
    assert.equal(normalizeKeyword('  #Café   Latte '), 'cafe latte');
    assert.equal(normalizeKeyword('#'), '');
  });
});
