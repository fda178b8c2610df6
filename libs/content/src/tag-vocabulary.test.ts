import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { TagVocabulary, compactTag, tagKey } from './tag-vocabulary.js';

describe('TagVocabulary', () => {
  it('normalizes case, "#", underscores and a plural last word', () => {
    assert.equal(tagKey('#Cute_Cats'), 'cute cat');
    assert.equal(tagKey('  ##Dogs '), 'dog');
    assert.equal(tagKey('glass'), 'glass');
    assert.equal(tagKey('james bond'), 'james bond');
    assert.equal(tagKey('!!!'), '');
  });

  it('ignores invisible characters pasted into a tag: zero-width spaces, direction marks, BOM', () => {
    assert.equal(tagKey('cats\u200b'), 'cat');
    assert.equal(tagKey('\ufeff#cats'), 'cat');
    assert.equal(tagKey('\u200fأخبار\u200f'), 'أخبار');
    assert.equal(tagKey('photo\u00adgraphy'), 'photography');
    // Joiners carry meaning (emoji sequences, Persian spelling) and stay.
    assert.equal(tagKey('می\u200cخواهم'), 'می\u200cخواهم');
  });

  it('gives a dotted capital I the key of a lower-case i', () => {
    assert.equal(tagKey('#İstanbul'), tagKey('istanbul'));
  });

  it('keeps names and fields that only look plural', () => {
    assert.equal(tagKey('Texas'), 'texas');
    assert.equal(tagKey('physics'), 'physics');
    assert.equal(tagKey('Politics'), 'politics');
    assert.equal(tagKey('mathematics'), 'mathematics');
    assert.equal(tagKey('Las Vegas'), 'las vegas');
    assert.equal(tagKey('canvas'), 'canvas');
    assert.equal(tagKey('memes'), 'meme');
    assert.equal(tagKey('photos'), 'photo');
  });

  it('folds a regular English plural as its last word, and only that', () => {
    const folded: Array<[string, string]> = [
      ['cats', 'cat'],
      ['Cats', 'cat'],
      ['puppies', 'puppy'],
      ['boxes', 'box'],
      ['churches', 'church'],
      ['wolves', 'wolf'],
      ['heroes', 'hero'],
      ['photos', 'photo'],
      ['glasses of wine', 'glasses of wine'],
      ['movies', 'movie'],
      ['cookies', 'cookie'],
      ['selfies', 'selfie'],
      ['hoodies', 'hoodie'],
      ['tacos', 'taco'],
      ['lenses', 'lens'],
      ['Cute Cats', 'cute cat'],
    ];
    for (const [tag, key] of folded) assert.equal(tagKey(tag), key, tag);
  });

  it('leaves names, acronyms, short words and words that only end in "s" as they are', () => {
    const kept: Array<[string, string]> = [
      // Mixed case is a name's spelling; all capitals an acronym or a name (the musical CATS).
      ['iOS', 'ios'],
      ['macOS', 'macos'],
      ['BTS', 'bts'],
      ['DOS', 'dos'],
      ['CATS', 'cats'],
      // Three letters or fewer: "its", "gas", "bus" are no plurals of "it", "ga", "bu".
      ['its', 'its'],
      ['gas', 'gas'],
      ['bus', 'bus'],
      ['bts', 'bts'],
      // -ss, -us, -is, -os (a singular Greek or Latin ending), -as, -ics.
      ['glass', 'glass'],
      ['swiss', 'swiss'],
      ['boss', 'boss'],
      ['Paris', 'paris'],
      ['chaos', 'chaos'],
      ['kudos', 'kudos'],
      ['ethos', 'ethos'],
      ['cosmos', 'cosmos'],
      ['atlas', 'atlas'],
      ['physics', 'physics'],
      // Words and names that are not plurals.
      ['always', 'always'],
      ['sometimes', 'sometimes'],
      ['this', 'this'],
      ['does', 'does'],
      ['news', 'news'],
      ['series', 'series'],
      ['species', 'species'],
      ['lens', 'lens'],
      ['Mars', 'mars'],
      ['Texas', 'texas'],
      ['Athens', 'athens'],
      ['Wales', 'wales'],
      ['Los Angeles', 'los angeles'],
      ['Star Wars', 'star wars'],
      ['the simpsons', 'the simpsons'],
      ['pants', 'pants'],
      ['glasses', 'glasses'],
      ['thanks', 'thanks'],
      // Not plain Latin letters.
      ['cafés', 'cafés'],
      ['k-dramas', 'k-dramas'],
      ['mp3s', 'mp3s'],
    ];
    for (const [tag, key] of kept) assert.equal(tagKey(tag), key, tag);
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

  it('keeps c++, c# and c apart: their symbols are part of the name', () => {
    const vocabulary = TagVocabulary.train([
      ['c++', 'programming'],
      ['c++'],
      ['c++'],
      ['c#', 'dotnet'],
      ['c#'],
      ['c'],
      ['f#'],
      ['f'],
    ]);
    assert.equal(vocabulary.canonical('C#'), 'c#');
    assert.equal(vocabulary.canonical('c'), 'c');
    assert.equal(vocabulary.canonical('F#'), 'f#');
    assert.equal(vocabulary.synonymCount, 0);
  });

  it('keeps tags apart that differ in a vowel sign: हिंदी (Hindi) is not हिंदू (Hindu)', () => {
    const vocabulary = TagVocabulary.train([['हिंदी'], ['हिंदी'], ['हिंदू'], ['ไก่'], ['ไก']]);
    assert.equal(vocabulary.canonical('हिंदू'), 'हिंदू');
    assert.equal(vocabulary.canonical('ไก'), 'ไก');
    assert.equal(vocabulary.synonymCount, 0);
    // Spelling variants in these scripts still meet: spaces and punctuation are all that goes.
    assert.equal(compactTag('हिंदी गाने'), compactTag('हिंदी-गाने'));
  });

  it('keeps emoji tags, each apart from the others', () => {
    assert.equal(tagKey('#🌸'), '🌸');
    assert.equal(tagKey('🏳️‍🌈'), '🏳️‍🌈');
    assert.equal(tagKey('🇫🇷'), '🇫🇷');
    assert.equal(tagKey('!!!'), '');
    const vocabulary = TagVocabulary.train([
      ['🌸', 'spring'],
      ['🌸'],
      ['✨'],
      ['✨', 'aesthetic'],
      ['🇫🇷'],
      ['🇩🇪'],
      ['❤️'],
      ['❤️'],
      ['❤'],
    ]);
    assert.deepEqual(vocabulary.normalize(['🌸', '✨', '🇫🇷', '🇩🇪', 'Spring']), [
      '🌸',
      '✨',
      '🇫🇷',
      '🇩🇪',
      'spring',
    ]);
    // With or without the emoji presentation selector, one heart.
    assert.equal(vocabulary.canonical('❤'), '❤️');
    // One emoji of three differs: no typo (an emoji is two UTF-16 units, not one letter).
    const flowers = TagVocabulary.train([
      ...Array.from({ length: 3 }, () => ['🌸🌸🌸', 'spring', 'garden']),
      ...Array.from({ length: 3 }, () => ['🌺🌸🌸', 'spring', 'garden']),
    ]);
    assert.equal(flowers.canonical('🌺🌸🌸'), '🌺🌸🌸');
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

  it('counts a post that carries a tag and its alias once', () => {
    const lists = [
      ...Array.from({ length: 6 }, () => ['harry potter', 'hp', 'books']),
      ['harry potter', 'wizards'],
      ['hp'],
      ['books', 'poetry'],
      ['books', 'novels'],
    ];
    const vocabulary = TagVocabulary.train(lists);
    assert.equal(vocabulary.canonical('hp'), 'harry potter');
    assert.equal(vocabulary.count('harry potter'), 8);
    const copy = TagVocabulary.fromJSON(JSON.parse(JSON.stringify(vocabulary.toJSON())));
    assert.equal(copy.count('harry potter'), 8);
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
