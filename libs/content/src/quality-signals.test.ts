import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { qualitySignals, spamScore } from './quality-signals.js';

const score = (text: string, tags: readonly string[] = []) =>
  spamScore(qualitySignals(text, tags, new Set(tags).size));

describe('qualitySignals and spamScore', () => {
  it('works out the signals of a plain post by hand', () => {
    const signals = qualitySignals(
      'one two three four five six seven eight nine https://a.example/x',
      ['a', 'b'],
      2,
    );
    assert.equal(signals.wordCount, 9);
    assert.equal(signals.linkCount, 1);
    assert.equal(signals.linkDensity, 1 / 9);
    assert.equal(signals.tagStuffing, 0);
    assert.equal(spamScore(signals), 0);
    // 20 tags on a short text: allowed 10, so (20 - 10) / (2 * 10).
    const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
    assert.equal(qualitySignals('hi', tags, 20).tagStuffing, 0.5);
  });

  it('does not call a post that shares one link spam, with or without a caption', () => {
    assert.equal(score('https://www.youtube.com/watch?v=dQw4w9WgXcQ', ['music']), 0);
    assert.equal(score('new song! https://www.youtube.com/watch?v=dQw4w9WgXcQ', ['music']), 0);
    assert.equal(
      score('今日はとても良い天気ですね。散歩に行きました。 https://example.com/photo'),
      0,
    );
  });

  it('still scores many links on few words as link spam', () => {
    assert.equal(score('https://a.example https://b.example'), 1);
    assert.ok(score('buy https://a.example https://b.example https://c.example') >= 0.9);
    const links = Array.from({ length: 6 }, (_, i) => `https://spam.example/${i}`).join(' ');
    assert.equal(score(`cheap pills ${links}`), 1);
  });

  it('does not read the capitals of a link as shouting', () => {
    const text = 'look at this https://bit.ly/QWERTYUIOPASDFGHJKLZXCVBNM';
    assert.equal(qualitySignals(text, [], 0).uppercaseRatio, 0);
    assert.equal(score(text), 0);
    assert.equal(score('THIS IS A REALLY LOUD POST ABOUT NOTHING AT ALL'), 1);
  });
});
