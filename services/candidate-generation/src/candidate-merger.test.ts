import assert from 'node:assert/strict';
import { candidatesv1 } from '@feedmesh/contracts';
import { mergeCandidates, RRF_K, type SourceAnswer } from './candidate-merger.js';
import type { ProposedCandidate } from './candidate-source.js';
import type { PostState } from './candidate-store.js';

const RANKING = candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING;

function post(postId: string): PostState {
  return {
    postId,
    blogId: `blog-of-${postId}`,
    tags: ['cats'],
    createdAtMs: 1,
    reblogOf: '',
    popularity: undefined,
    engagements: 0,
  };
}

function answer(source: string, ids: string[], weight = 1): SourceAnswer {
  const candidates: ProposedCandidate[] = ids.map((id, i) => ({
    post: post(id),
    score: 100 - i,
    reason: `${source} likes ${id}`,
  }));
  return { source, candidates, weight };
}

describe('mergeCandidates', () => {
  it('lists a post’s sources best rank first, ties to the source listed first', () => {
    const merged = mergeCandidates(
      [answer('a', ['x', 'shared']), answer('b', ['shared']), answer('c', ['y', 'z', 'shared'])],
      10,
    );
    const shared = merged.find((c) => c.postId === 'shared')!;
    assert.deepEqual(
      shared.sources.map((s) => [s.source, s.score, s.reason]),
      [
        ['b', 100, 'b likes shared'],
        ['a', 99, 'a likes shared'],
        ['c', 98, 'c likes shared'],
      ],
    );
    assert.equal(merged[0]!.postId, 'shared', 'three sources agreeing rank it first');
    assert.deepEqual(shared.tags, ['cats']);
  });

  it('orders by weighted reciprocal rank and cuts at max', () => {
    const merged = mergeCandidates(
      [answer('light', ['p1', 'p2'], 0.1), answer('heavy', ['q1', 'q2', 'p2'], 1)],
      3,
    );
    // p2: heavy's third and light's second, 1 / 63 + 0.1 / 62, above heavy's first, 1 / 61;
    // light's first alone, 0.1 / 61, is cut.
    assert.ok(1 / (RRF_K + 3) + 0.1 / (RRF_K + 2) > 1 / (RRF_K + 1));
    assert.deepEqual(
      merged.map((c) => c.postId),
      ['p2', 'q1', 'q2'],
    );
  });

  it('counts a source that proposes a post twice once, at its better rank', () => {
    const merged = mergeCandidates([answer('a', ['p', 'p', 'q']), answer('b', ['q'])], 10);
    const p = merged.find((c) => c.postId === 'p')!;
    assert.deepEqual(
      p.sources.map((s) => [s.source, s.score]),
      [['a', 100]],
    );
    assert.deepEqual(
      merged.map((c) => c.postId),
      ['q', 'p'],
    );
  });

  it('keeps a reason on the best source only and no tags in the ranking view', () => {
    const merged = mergeCandidates([answer('a', ['x', 'p']), answer('b', ['p'])], 10, RANKING);
    const p = merged.find((c) => c.postId === 'p')!;
    assert.deepEqual(
      p.sources.map((s) => [s.source, s.reason]),
      [
        ['b', 'b likes p'],
        ['a', ''],
      ],
    );
    assert.deepEqual(p.tags, []);
  });

  it('answers empty when no source proposed anything', () => {
    assert.deepEqual(mergeCandidates([answer('a', []), answer('b', [])], 10), []);
  });
});
