import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { TagVocabulary, tagKey } from './tag-vocabulary.js';

describe('TagVocabulary', () => {
  it('normalizes case, "#", underscores and a plural last word', () => {
    assert.equal(tagKey('#Cute_Cats'), 'cute cat');
    assert.equal(tagKey('  ##Dogs '), 'dog');
    assert.equal(tagKey('glass'), 'glass');
    assert.equal(tagKey('james bond'), 'james bond');
    assert.equal(tagKey('!!!'), '');
  });

  it('maps spelling variants onto the most used one', () => {
    const vocabulary = TagVocabulary.train([
      ['sci-fi'],
      ['sci-fi'],
      ['scifi'],
      ['sci fi', 'space'],
    ]);
    assert.equal(vocabulary.canonical('SciFi'), 'sci-fi');
    assert.equal(vocabulary.canonical('sci fi'), 'sci-fi');
    assert.equal(vocabulary.count('sci-fi'), 4);
  });

  it('merges tags that are nearly always used together', () => {
    const lists = [
      ...Array.from({ length: 6 }, () => ['harry potter', 'hp', 'books']),
      ['harry potter', 'wizards'],
      ['books', 'poetry'],
      ['books', 'novels'],
    ];
    const vocabulary = TagVocabulary.train(lists);
    assert.equal(vocabulary.canonical('HP'), 'harry potter');
    assert.equal(vocabulary.canonical('books'), 'book');
    assert.deepEqual(vocabulary.aliasesOf('harry potter'), ['hp']);
  });

  it('merges a typo or an initialism used with the same other tags, not unrelated look-alikes', () => {
    const times = (n: number, tags: string[]): string[][] => Array.from({ length: n }, () => tags);
    const lists = [
      ...times(3, ['halloween', 'pumpkin']),
      ...times(3, ['halloween', 'costume']),
      ...times(2, ['haloween', 'pumpkin']),
      ...times(2, ['haloween', 'costume']),
      ...times(3, ['pumpkin', 'pie']),
      ...times(3, ['costume', 'party']),
      ...times(3, ['new york city', 'skyline']),
      ...times(2, ['new york city', 'travel']),
      ...times(2, ['nyc', 'skyline']),
      ...times(2, ['nyc', 'travel']),
      ...times(3, ['skyline', 'sunset']),
      ...times(3, ['travel', 'beach']),
      ...times(2, ['mouse', 'computer']),
      ...times(2, ['mouse', 'keyboard']),
      ...times(2, ['moose', 'forest']),
      ...times(2, ['moose', 'antler']),
    ];
    const vocabulary = TagVocabulary.train(lists);
    assert.equal(vocabulary.canonical('haloween'), 'halloween');
    assert.equal(vocabulary.canonical('nyc'), 'new york city');
    assert.equal(vocabulary.canonical('pumpkin'), 'pumpkin');
    assert.equal(vocabulary.canonical('moose'), 'moose');
    assert.equal(vocabulary.canonical('mouse'), 'mouse');
  });

  it('round-trips through JSON', () => {
    const vocabulary = TagVocabulary.train([['sci-fi'], ['sci-fi'], ['scifi']]);
    const copy = TagVocabulary.fromJSON(JSON.parse(JSON.stringify(vocabulary.toJSON())));
    assert.deepEqual(copy.normalize(['SCIFI', 'Cats', 'cat']), ['sci-fi', 'cat']);
  });
});
