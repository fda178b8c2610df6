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

  it('keeps Devanagari words whole, with their vowel signs and viramas', () => {
    assert.deepEqual(words('नमस्ते दुनिया, आज मौसम अच्छा है'), [
      'नमस्ते',
      'दुनिया',
      'आज',
      'मौसम',
      'अच्छा',
      'है',
    ]);
  });

  it('reads composed and decomposed accents, and full-width letters, as one word', () => {
    assert.deepEqual(words('cafe\u0301 café ＣＡＴ'), ['café', 'café', 'cat']);
    assert.deepEqual(
      terms('e\u0301te\u0301').map((t) => t.term),
      ['été'],
    );
  });

  it('splits Chinese, Japanese and Thai, written without spaces, into words', () => {
    assert.deepEqual(words('我今天去公园散步了'), ['我', '今天', '去', '公园', '散步', '了']);
    assert.ok(words('今日はとても良い天気ですね。').includes('天気'));
    assert.deepEqual(words('สวัสดีครับ'), ['สวัสดี', 'ครับ']);
    assert.ok(
      terms('我的猫很可爱').some((t) => t.term === '猫'),
      'a one-character Han word',
    );
  });

  it('reads HTML character references as the characters they stand for, not as words', () => {
    assert.deepEqual(words('Tom &amp; Jerry'), ['tom', 'jerry']);
    assert.deepEqual(words('caf&eacute; &quot;au&nbsp;lait&quot;'), ['café', 'au', 'lait']);
    assert.deepEqual(words('don&#39;t &#233;t&#xE9; &#x1F338;'), ['dont', 'été']);
    assert.deepEqual(
      terms('&lt;b&gt;Tom&lt;/b&gt; &amp;&nbsp;Jerry&hellip;').map((t) => t.word),
      ['tom', 'jerry'],
    );
    assert.deepEqual(shingles('Tom &amp; Jerry &amp; Spike'), ['tom jerry spike']);
    // Only a complete reference is one: an ampersand in plain text stays plain text.
    assert.deepEqual(words('AT&T R&D'), ['at', 't', 'r', 'd']);
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

  it('leaves out the stopwords of the language a text is written in', () => {
    const texts: Array<[string, string[], string[]]> = [
      [
        'Les enfants sont allés à la plage avec leurs parents pour les vacances de Pâques',
        ['les', 'sont', 'la', 'avec', 'leurs', 'pour', 'de'],
        ['enfants', 'allés', 'plage', 'parents', 'vacances', 'pâques'],
      ],
      [
        'Los niños fueron a la playa con sus padres durante las vacaciones',
        ['los', 'la', 'con', 'sus', 'durante', 'las'],
        ['niños', 'playa', 'padres', 'vacaciones'],
      ],
      [
        'Die Kinder sind mit ihren Eltern an den Strand gefahren und haben gespielt',
        ['die', 'sind', 'mit', 'ihren', 'den', 'und', 'haben'],
        ['kinder', 'eltern', 'strand', 'gefahren', 'gespielt'],
      ],
    ];
    for (const [text, stopwords, kept] of texts) {
      const found = terms(text).map((t) => t.word);
      assert.deepEqual(
        found.filter((word) => stopwords.includes(word)),
        [],
        text,
      );
      assert.deepEqual(
        kept.filter((word) => !found.includes(word)),
        [],
        text,
      );
    }
  });

  it('keeps English words that are stopwords in another language', () => {
    // "die", "war", "hat" are German stopwords; "con" a Spanish and Italian one.
    assert.deepEqual(
      terms('Die Hard: the war film my son watched in a hat, a con job').map((t) => t.word),
      ['die', 'hard', 'war', 'film', 'son', 'watched', 'hat', 'con', 'job'],
    );
    // franc guesses Italian for this one.
    assert.deepEqual(
      terms('Also check out my new album out now').map((t) => t.word),
      ['check', 'new', 'album'],
    );
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
