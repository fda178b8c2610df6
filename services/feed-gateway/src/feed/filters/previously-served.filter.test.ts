import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import {
  UNKNOWN_USER,
  type FeedCandidate,
  type FeedQuery,
  type UserContext,
} from '../feed-query.js';
import { DEFAULT_MIXER_PARAMS } from '../selectors/mixer-params.js';
import { StageClock } from '../stage-clock.js';
import { PreviouslyServedFilter } from './previously-served.filter.js';

function candidate(postId: string, reblogOf = ''): FeedCandidate {
  return {
    postId,
    blogId: `b-${postId}`,
    createdAtMs: 0,
    reblogOf,
    tags: [],
    summary: '',
    sources: [{ source: 'popular', score: 1, reason: '' }],
    score: 0,
  };
}

function query(
  extra: {
    servedInSession?: readonly string[];
    user?: Partial<UserContext>;
    surface?: commonv1.Surface;
  } = {},
): FeedQuery {
  return {
    requestId: 'r1',
    userId: 'u1',
    surface: extra.surface ?? commonv1.Surface.SURFACE_DASHBOARD,
    tag: extra.surface === commonv1.Surface.SURFACE_TAG ? 'art' : '',
    pageSize: 10,
    position: 0,
    servedInSession: new Set(extra.servedInSession ?? []),
    clock: new StageClock(1_000, new AbortController().signal),
    user: { ...UNKNOWN_USER, ...extra.user },
    mixer: DEFAULT_MIXER_PARAMS,
    exposure: [],
    sourceBudgets: [],
  };
}

const ids = (candidates: readonly FeedCandidate[]) => candidates.map((c) => c.postId);

describe('PreviouslyServedFilter', () => {
  const filter = new PreviouslyServedFilter();
  // X is an original; R and R2 reblog it; Y is unrelated.
  const candidates = [candidate('X'), candidate('R', 'X'), candidate('R2', 'X'), candidate('Y')];

  it('drops, within a session, the original and every reblog of a reblog served (the cursor carries its root)', () => {
    assert.deepEqual(ids(filter.filter(query({ servedInSession: ['R', 'X'] }), candidates)), ['Y']);
  });

  it('drops the reblogs of an original the reader was served in an earlier session', () => {
    const seen = query({ user: { served: new Set(['X']) } });
    assert.deepEqual(ids(filter.filter(seen, candidates)), ['Y']);
  });

  it('drops the original and the other reblogs of a reblog served in an earlier session (the feature store lists its root beside it)', () => {
    const seen = query({ user: { served: new Set(['R', 'X']) } });
    assert.deepEqual(ids(filter.filter(seen, candidates)), ['Y']);
  });

  it('keeps on a tag page what earlier sessions served, roots included', () => {
    const seen = query({
      surface: commonv1.Surface.SURFACE_TAG,
      user: { served: new Set(['R', 'X']) },
    });
    assert.deepEqual(ids(filter.filter(seen, candidates)), ['X', 'R', 'R2', 'Y']);
  });
});
